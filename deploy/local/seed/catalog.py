# SPDX-License-Identifier: AGPL-3.0-or-later
"""Seed one town's catalog with demo merchants and offers, through the catalog's HTTP API.

    .downtown/venv/bin/python deploy/local/seed/catalog.py --town schoeppingen --api http://127.0.0.1:18101

``make run`` runs it for every town (see deploy/local/services.sh), giving the API as
``DOWNTOWN_CATALOG_API`` instead of ``--api``.

Idempotent: every creating POST carries an Idempotency-Key derived from the town and the
merchant's or offer's slug, so a second run creates nothing (the API answers 200, not 201).
The association approves the merchants that sell vouchers or take orders on invoice
(registration alone lets no merchant act with money); approving an approved merchant again
changes nothing. A shop taking orders on invoice gets its tax number by a profile change
after registering, so that the registration request of an installation seeded before stays
the same request (its Idempotency-Key would refuse another body).
A repeated registration carries no token (an idempotent replay never hands out a
credential), so on a second run the seed asks for the merchant's token the way a merchant
who lost theirs would: from the town's association (``--association-token``, by default
``DOWNTOWN_ASSOCIATION_TOKEN``).
Product photos are drawn here with Pillow, the same pixels on every run, and carry the town's
GPS position in their EXIF so the demo can show that the catalog strips it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PHOTO_SIZE = (1200, 900)

# --- what a town's high street holds ----------------------------------------------------


@dataclass(frozen=True)
class Product:
    slug: str
    title: str
    price: str
    description: str
    category: str
    stock: int
    look: str  # how its photo is drawn: bottle, bread, book, cheese or anything else (generic)
    colour: tuple[int, int, int] = (120, 30, 50)


@dataclass(frozen=True)
class Service:
    slug: str
    title: str
    price: str
    description: str
    category: str
    duration_minutes: int
    availability: list[dict[str, Any]]


@dataclass(frozen=True)
class Shop:
    slug: str
    name: str
    category: str
    street: str
    phone: str
    email: str
    hours: list[dict[str, Any]]
    delivery: bool = False
    pickup: bool = True
    vouchers: bool = False
    tax_number: str | None = None  # its invoices' VAT id or Steuernummer: it takes orders on invoice
    video_url: str | None = None
    closed_note: str | None = None
    offers: list[Product | Service] = field(default_factory=list)


@dataclass(frozen=True)
class Town:
    name: str
    postal_code: str
    latitude: float
    longitude: float
    shops: list[Shop]


def hours(days: str, *spans: str) -> list[dict[str, Any]]:
    """hours("0-4", "09:00-13:00", "14:30-18:30"): the same windows on Monday to Friday."""
    first, _, last = days.partition("-")
    windows = []
    for weekday in range(int(first), int(last or first) + 1):
        for span in spans:
            opens, closes = span.split("-")
            windows.append({"weekday": weekday, "opens": opens, "closes": closes})
    return windows


WEEKDAY_AFTERNOONS = hours("0-4", "14:00-18:00")


def schoeppingen() -> Town:
    return Town(
        name="Schöppingen",
        postal_code="48624",
        latitude=52.1006,
        longitude=7.2336,
        shops=[
            Shop(
                slug="weinhandlung-boeckmann",
                name="Weinhandlung Böckmann",
                category="Wein & Spirituosen",
                street="Hauptstraße 12",
                phone="+49 2555 98 12 40",
                email="info@weinhandlung-boeckmann.example",
                hours=hours("1-4", "10:00-13:00", "14:30-18:30") + hours("5", "09:30-14:00"),
                delivery=True,
                vouchers=True,
                video_url="https://meet.jit.si/weinhandlung-boeckmann-schoeppingen",
                offers=[
                    Product(
                        "riesling-trocken-2023",
                        "Riesling trocken 2023",
                        "12,90",
                        "Von der Mosel, schiefrig und frisch; passt zu Spargel und Fisch.",
                        "Wein",
                        36,
                        "bottle",
                        (200, 190, 90),
                    ),
                    Product(
                        "spaetburgunder",
                        "Spätburgunder",
                        "16,50",
                        "Badischer Rotwein aus dem Holzfass, Aromen von Kirsche und Waldboden.",
                        "Wein",
                        24,
                        "bottle",
                        (110, 20, 40),
                    ),
                    Product(
                        "sekt",
                        "Winzersekt brut",
                        "14,90",
                        "Flaschengärung, neun Monate auf der Hefe – für den Sonntagsbrunch.",
                        "Sekt",
                        18,
                        "bottle",
                        (225, 205, 140),
                    ),
                ],
            ),
            Shop(
                slug="baeckerei-wessels",
                name="Bäckerei & Café Wessels",
                category="Bäckerei & Café",
                street="Amtsstraße 3",
                phone="+49 2555 412",
                email="backstube@baeckerei-wessels.example",
                hours=hours("0-4", "06:30-18:00") + hours("5", "06:30-13:00") + hours("6", "08:00-11:00"),
                pickup=True,
                offers=[
                    Product(
                        "roggenmischbrot",
                        "Münsterländer Roggenmischbrot",
                        "4,20",
                        "Mit Natursauerteig, 1 kg, täglich frisch aus dem Steinofen.",
                        "Brot",
                        20,
                        "bread",
                        (150, 95, 50),
                    ),
                    Product(
                        "butterkuchen",
                        "Butterkuchen vom Blech",
                        "2,10",
                        "Ein Stück, mit Mandeln und viel guter Butter.",
                        "Kuchen",
                        30,
                        "generic",
                        (230, 180, 90),
                    ),
                ],
            ),
            Shop(
                slug="buchhandlung-am-markt",
                name="Buchhandlung am Markt",
                category="Bücher",
                street="Am Markt 5",
                phone="+49 2555 77 31",
                email="lesen@buchhandlung-am-markt.example",
                hours=hours("0-4", "09:00-12:30", "14:30-18:00") + hours("5", "09:00-13:00"),
                delivery=True,
                vouchers=True,
                tax_number="DE294551230",
                offers=[
                    Product(
                        "muensterland-krimi",
                        "Mord im Münsterland",
                        "12,00",
                        "Regionalkrimi: Kommissar Lohmann ermittelt zwischen Vechte und Wasserburg.",
                        "Bücher",
                        8,
                        "book",
                        (30, 60, 110),
                    ),
                    Product(
                        "radwandern-muensterland",
                        "Radwandern im Münsterland",
                        "14,95",
                        "30 Touren mit Karten, Einkehrtipps und Hofläden am Weg.",
                        "Bücher",
                        5,
                        "book",
                        (40, 110, 60),
                    ),
                ],
            ),
            Shop(
                slug="kaese-hoelscher",
                name="Käse & Feinkost Hölscher",
                category="Käse & Feinkost",
                street="Vechtestraße 21",
                phone="+49 2555 93 88 02",
                email="kaese@hoelscher-feinkost.example",
                hours=hours("1-4", "08:30-18:00") + hours("5", "08:00-13:00"),
                pickup=True,
                vouchers=True,
                closed_note="Betriebsurlaub bis Montag",
                offers=[
                    Product(
                        "bergkaese",
                        "Allgäuer Bergkäse, 12 Monate",
                        "3,49",
                        "100 g, kräftig-würzig, am Stück oder in Scheiben.",
                        "Käse",
                        40,
                        "cheese",
                        (240, 200, 90),
                    ),
                ],
            ),
            Shop(
                slug="nachhilfe-schulte",
                name="Nachhilfe Schulte",
                category="Nachhilfe",
                street="Gildestraße 8",
                phone="+49 170 555 01 23",
                email="kontakt@nachhilfe-schulte.example",
                hours=WEEKDAY_AFTERNOONS,
                pickup=False,
                video_url="https://meet.jit.si/nachhilfe-schulte",
                offers=[
                    Service(
                        "englisch-nachhilfe",
                        "Englisch-Nachhilfe (60 min)",
                        "35,00",
                        "Einzelunterricht für die Klassen 5–10, auch per Video; Grammatik, Vokabeln, Klausuren.",
                        "Nachhilfe",
                        60,
                        WEEKDAY_AFTERNOONS,
                    ),
                ],
            ),
        ],
    )


def muenster() -> Town:
    return Town(
        name="Münster",
        postal_code="48143",
        latitude=51.9625,
        longitude=7.6256,
        shops=[
            Shop(
                slug="weinkontor-prinzipalmarkt",
                name="Weinkontor am Prinzipalmarkt",
                category="Wein & Spirituosen",
                street="Prinzipalmarkt 34",
                phone="+49 251 48 27 11",
                email="kontor@weinkontor-prinzipalmarkt.example",
                hours=hours("0-4", "10:00-19:00") + hours("5", "10:00-18:00"),
                delivery=True,
                pickup=True,
                vouchers=True,
                offers=[
                    Product(
                        "riesling-trocken-2023",
                        "Riesling trocken 2023",
                        "11,50",
                        "Rheingau, Gutswein; knackige Säure, Noten von grünem Apfel.",
                        "Wein",
                        48,
                        "bottle",
                        (205, 195, 95),
                    ),
                    Product(
                        "spaetburgunder-ahr",
                        "Spätburgunder von der Ahr",
                        "19,80",
                        "Samtig, mit feiner Frucht; zum Wildgericht oder Käse.",
                        "Wein",
                        12,
                        "bottle",
                        (100, 15, 35),
                    ),
                    Product(
                        "sekt-rose",
                        "Sekt Rosé brut",
                        "13,90",
                        "Aus Spätburgunder-Trauben, zartes Perlen, für Sommerabende am Aasee.",
                        "Sekt",
                        20,
                        "bottle",
                        (230, 150, 160),
                    ),
                ],
            ),
            Shop(
                slug="cafe-kiepenkerl",
                name="Café & Backstube Kiepenkerl",
                category="Bäckerei & Café",
                street="Spiekerhof 18",
                phone="+49 251 52 09 70",
                email="hallo@cafe-kiepenkerl.example",
                hours=hours("0-5", "07:00-18:30") + hours("6", "09:00-17:00"),
                pickup=True,
                vouchers=True,
                offers=[
                    Product(
                        "pumpernickel",
                        "Westfälischer Pumpernickel",
                        "3,80",
                        "24 Stunden im Dampf gebacken, 500 g, ohne Zusatzstoffe.",
                        "Brot",
                        15,
                        "bread",
                        (70, 40, 25),
                    ),
                ],
            ),
            Shop(
                slug="antiquariat-lamberti",
                name="Antiquariat an St. Lamberti",
                category="Bücher",
                street="Salzstraße 7",
                phone="+49 251 43 21 09",
                email="post@antiquariat-lamberti.example",
                hours=hours("1-4", "11:00-18:00") + hours("5", "10:00-16:00"),
                delivery=True,
                pickup=True,
                tax_number="337/5012/0815",
                video_url="https://meet.jit.si/antiquariat-lamberti",
                offers=[
                    Product(
                        "droste-gedichte",
                        "Annette von Droste-Hülshoff: Gedichte",
                        "24,00",
                        "Ausgabe von 1906, Halbleinen, gut erhalten; mit Exlibris.",
                        "Bücher",
                        1,
                        "book",
                        (120, 30, 30),
                    ),
                    Product(
                        "stadtgeschichte-muenster",
                        "Geschichte der Stadt Münster",
                        "18,50",
                        "Von der Domburg bis heute, reich bebildert.",
                        "Bücher",
                        3,
                        "book",
                        (25, 50, 90),
                    ),
                ],
            ),
            Shop(
                slug="kaesekammer-ueberwasser",
                name="Käsekammer Überwasser",
                category="Käse & Feinkost",
                street="Überwasserstraße 2",
                phone="+49 251 39 77 60",
                email="info@kaesekammer-ueberwasser.example",
                hours=hours("1-5", "09:00-18:00"),
                delivery=True,
                pickup=True,
                closed_note="Betriebsurlaub bis Montag",
                offers=[
                    Product(
                        "muensterlaender-heukaese",
                        "Münsterländer Heumilchkäse",
                        "2,95",
                        "100 g, vom Hof Große Wöstmann, mild und cremig.",
                        "Käse",
                        25,
                        "cheese",
                        (245, 215, 120),
                    ),
                    Product(
                        "ziegenkaese",
                        "Ziegenfrischkäse mit Kräutern",
                        "4,40",
                        "150 g, mit Bärlauch und Schnittlauch.",
                        "Käse",
                        12,
                        "cheese",
                        (245, 240, 225),
                    ),
                ],
            ),
            Shop(
                slug="duo-klangfarben",
                name="Duo Klangfarben",
                category="Musik & Events",
                street="Aegidiistraße 40",
                phone="+49 160 555 44 88",
                email="anfrage@duo-klangfarben.example",
                hours=hours("0-4", "16:00-19:00"),
                pickup=False,
                vouchers=True,
                video_url="https://meet.jit.si/duo-klangfarben",
                offers=[
                    Service(
                        "musik-hochzeit",
                        "Musik für Ihre Hochzeit",
                        "450,00",
                        "Geige und Gitarre für Trauung und Sektempfang, 3 Stunden, Repertoire nach Wunsch.",
                        "Musik",
                        180,
                        hours("4", "12:00-22:00") + hours("5", "10:00-22:00"),
                    ),
                ],
            ),
        ],
    )


def generic(town_id: str) -> Town:
    city = town_id.replace("-", " ").replace("_", " ").title()
    domain = "".join(ch for ch in town_id.lower() if ch.isalnum()) or "stadt"
    return Town(
        name=city,
        postal_code="12345",
        latitude=51.1657,
        longitude=10.4515,
        shops=[
            Shop(
                slug="weinhandlung",
                name=f"Weinhandlung {city}",
                category="Wein & Spirituosen",
                street="Marktplatz 1",
                phone="+49 30 1234 560",
                email=f"wein@{domain}.example",
                hours=hours("0-4", "10:00-18:30") + hours("5", "10:00-14:00"),
                delivery=True,
                vouchers=True,
                tax_number="DE318406752",
                offers=[
                    Product(
                        "riesling-trocken-2023",
                        "Riesling trocken 2023",
                        "9,90",
                        "Frisch und mineralisch.",
                        "Wein",
                        30,
                        "bottle",
                        (205, 195, 95),
                    ),
                    Product("spaetburgunder", "Spätburgunder", "13,50", "Trocken, fruchtig.", "Wein", 20, "bottle"),
                ],
            ),
            Shop(
                slug="baeckerei",
                name="Bäckerei am Markt",
                category="Bäckerei & Café",
                street="Marktplatz 4",
                phone="+49 30 1234 561",
                email=f"baeckerei@{domain}.example",
                hours=hours("0-5", "06:30-13:00"),
                offers=[
                    Product(
                        "bauernbrot",
                        "Bauernbrot",
                        "3,90",
                        "Sauerteig, 1 kg.",
                        "Brot",
                        20,
                        "bread",
                        (160, 105, 60),
                    ),
                ],
            ),
            Shop(
                slug="kaeseladen",
                name="Käseladen Müller",
                category="Käse & Feinkost",
                street="Kirchstraße 9",
                phone="+49 30 1234 562",
                email=f"kaese@{domain}.example",
                hours=hours("1-5", "09:00-18:00"),
                delivery=True,
                closed_note="Betriebsurlaub bis Montag",
                offers=[
                    Product(
                        "gouda",
                        "Alter Gouda",
                        "2,79",
                        "100 g, 18 Monate gereift.",
                        "Käse",
                        30,
                        "cheese",
                        (235, 180, 70),
                    ),
                ],
            ),
            Shop(
                slug="nachhilfe",
                name="Lernstudio Schneider",
                category="Nachhilfe",
                street="Schulstraße 2",
                phone="+49 30 1234 563",
                email=f"lernen@{domain}.example",
                hours=WEEKDAY_AFTERNOONS,
                pickup=False,
                offers=[
                    Service(
                        "englisch-nachhilfe",
                        "Englisch-Nachhilfe (60 min)",
                        "30,00",
                        "Einzelunterricht für die Klassen 5–10.",
                        "Nachhilfe",
                        60,
                        WEEKDAY_AFTERNOONS,
                    ),
                ],
            ),
        ],
    )


TOWNS = {"schoeppingen": schoeppingen, "muenster": muenster}


def town_for(town_id: str) -> Town:
    return TOWNS[town_id]() if town_id in TOWNS else generic(town_id)


# --- photos -------------------------------------------------------------------------------


def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's own scalable font (needs Pillow built with FreeType, as the wheels are)."""
    typeface = ImageFont.load_default(size=size)
    assert isinstance(typeface, ImageFont.FreeTypeFont), "Pillow lacks FreeType"
    return typeface


def shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, round(c * factor))) for c in colour)  # type: ignore[return-value]


# Pillow's built-in font has ASCII glyphs only, so German letters are drawn as their base letter
# plus the accent on top (Ä = A + two dots); ß and the rest become what a German would write.
SPELLED_OUT = {"ß": "ss", "ẞ": "SS", "€": "EUR", "–": "-", "—": "-", "„": '"', "“": '"', "”": '"', "’": "'"}
ACCENTS = {"\u0308": "diaeresis", "\u0301": "acute", "\u0300": "grave"}


def glyphs(text: str) -> list[tuple[str, str | None]]:
    """``text`` as (ASCII character, accent drawn over it) pairs."""
    out: list[tuple[str, str | None]] = []
    for char in text:
        for part in SPELLED_OUT.get(char, char):
            base, *marks = unicodedata.normalize("NFD", part)
            if not base.isascii():
                base = "?"
            out.append((base, next((ACCENTS[mark] for mark in marks if mark in ACCENTS), None)))
    return out


def text_width(draw: ImageDraw.ImageDraw, text: str, typeface: ImageFont.FreeTypeFont) -> float:
    return draw.textlength("".join(base for base, _ in glyphs(text)), font=typeface)


def draw_text(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, typeface: ImageFont.FreeTypeFont, fill: Any
) -> None:
    x, y = xy
    pairs = glyphs(text)
    plain = "".join(base for base, _ in pairs)
    draw.text((x, y), plain, font=typeface, fill=fill)
    size = typeface.size
    for index, (base, accent) in enumerate(pairs):
        if accent is None:
            continue
        left = x + draw.textlength(plain[:index], font=typeface)
        width = draw.textlength(base, font=typeface)
        top = y + typeface.getbbox(base)[1]
        centre = left + width / 2
        mark_y = top - size * 0.13
        if accent == "diaeresis":
            radius = max(1.5, size * 0.05)
            for dx in (-width * 0.22, width * 0.22):
                draw.ellipse((centre + dx - radius, mark_y - radius, centre + dx + radius, mark_y + radius), fill=fill)
        else:
            lean = size * 0.08 if accent == "acute" else -size * 0.08
            line = [(centre - lean, mark_y + size * 0.05), (centre + lean, mark_y - size * 0.08)]
            draw.line(line, fill=fill, width=max(1, round(size * 0.06)))


def centred_text(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str, size: int, fill: Any) -> None:
    """Write ``text`` centred in ``box``, wrapped onto lines and shrunk until it fits."""
    left, top, right, bottom = box
    while True:
        typeface = font(size)
        lines: list[str] = []
        for word in text.split():
            if lines and text_width(draw, f"{lines[-1]} {word}", typeface) <= right - left:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        line_height = round(size * 1.3)
        widest = max(text_width(draw, line, typeface) for line in lines)
        if (widest <= right - left and line_height * len(lines) <= bottom - top) or size <= 12:
            break
        size -= 2
    y = (top + bottom - line_height * len(lines)) // 2
    for line in lines:
        x = (left + right - text_width(draw, line, typeface)) / 2
        draw_text(draw, (x, y), line, typeface, fill)
        y += line_height


def backdrop(rng: random.Random) -> Image.Image:
    """A table against a wall, lit from the upper left."""
    width, height = PHOTO_SIZE
    wall = (rng.randint(200, 235), rng.randint(190, 225), rng.randint(175, 210))
    table = (rng.randint(120, 160), rng.randint(80, 110), rng.randint(50, 70))
    image = Image.new("RGB", PHOTO_SIZE, wall)
    draw = ImageDraw.Draw(image)
    horizon = round(height * 0.68)
    for y in range(horizon):
        draw.line([(0, y), (width, y)], fill=shade(wall, 1.08 - 0.25 * y / horizon))
    for y in range(horizon, height):
        draw.line([(0, y), (width, y)], fill=shade(table, 1.0 - 0.3 * (y - horizon) / (height - horizon)))
    for _ in range(14):  # wood grain
        y = rng.randint(horizon + 5, height - 5)
        draw.line([(0, y), (width, y + rng.randint(-20, 20))], fill=shade(table, 0.85), width=rng.randint(1, 3))
    return image


def shadow(image: Image.Image, box: tuple[int, int, int, int]) -> None:
    layer = Image.new("L", PHOTO_SIZE, 0)
    ImageDraw.Draw(layer).ellipse(box, fill=140)
    image.paste((30, 20, 10), (0, 0), layer.filter(ImageFilter.GaussianBlur(25)))


def draw_bottle(image: Image.Image, product: Product, rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    cx, base = 600 + rng.randint(-60, 60), 800
    glass = shade(product.colour, 0.55) if product.colour[0] < 180 else (60, 90, 50)
    shadow(image, (cx - 200, base - 30, cx + 260, base + 30))
    draw.rounded_rectangle((cx - 110, base - 480, cx + 110, base), radius=50, fill=glass)
    draw.ellipse((cx - 110, base - 560, cx + 110, base - 400), fill=glass)
    draw.rectangle((cx - 36, base - 720, cx + 36, base - 480), fill=glass)
    foil = (200, 170, 80) if "sekt" in product.slug or "Sekt" in product.title else shade(product.colour, 0.8)
    draw.rounded_rectangle((cx - 42, base - 760, cx + 42, base - 650), radius=10, fill=foil)
    draw.rounded_rectangle((cx - 80, base - 520, cx - 55, base - 60), radius=12, fill=shade(glass, 1.9))  # glare
    draw.rectangle((cx - 110, base - 330, cx + 110, base - 110), fill=(246, 240, 226), outline=foil, width=6)
    centred_text(draw, (cx - 98, base - 320, cx + 98, base - 120), product.title, 30, (40, 30, 30))


def draw_bread(image: Image.Image, product: Product, rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    crust = product.colour
    shadow(image, (220, 690, 1000, 790))
    draw.chord((250, 380, 950, 900), 180, 360, fill=shade(crust, 0.8))
    draw.ellipse((250, 460, 950, 780), fill=crust)
    draw.chord((250, 380, 950, 760), 180, 360, fill=shade(crust, 1.15))
    for i in range(5):  # cuts in the crust
        x = 360 + i * 120 + rng.randint(-10, 10)
        draw.arc((x - 40, 440, x + 60, 560), 200, 320, fill=shade(crust, 1.6), width=10)
    for _ in range(300):  # flour dust
        x, y = rng.randint(300, 900), rng.randint(420, 620)
        draw.point((x, y), fill=(240, 232, 220))
    sign = (700, 150, 1120, 330)
    draw.rounded_rectangle(sign, radius=16, fill=(40, 45, 40), outline=(160, 120, 70), width=8)
    centred_text(draw, (sign[0] + 20, sign[1] + 15, sign[2] - 20, sign[3] - 15), product.title, 40, (245, 245, 235))


def draw_book(image: Image.Image, product: Product, rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    cover = product.colour
    left, top, right, bottom = 380, 110 + rng.randint(0, 30), 820, 800
    shadow(image, (left - 20, bottom - 40, right + 120, bottom + 40))
    draw.rectangle((left + 18, top + 14, right + 18, bottom + 8), fill=(235, 230, 215))  # pages
    for y in range(top + 20, bottom, 6):
        draw.line([(right, y), (right + 18, y + 2)], fill=(205, 200, 185))
    draw.rectangle((left, top, right, bottom), fill=cover)
    draw.rectangle((left, top, left + 40, bottom), fill=shade(cover, 0.7))  # spine
    draw.rectangle((left + 80, top + 60, right - 40, top + 64), fill=(220, 190, 110))
    draw.rectangle((left + 80, bottom - 90, right - 40, bottom - 86), fill=(220, 190, 110))
    centred_text(draw, (left + 80, top + 100, right - 40, top + 380), product.title, 54, (250, 245, 230))
    for _ in range(6):  # a little ornament
        x, y = rng.randint(left + 120, right - 90), rng.randint(top + 420, bottom - 140)
        r = rng.randint(12, 40)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(220, 190, 110), width=4)


def draw_cheese(image: Image.Image, product: Product, rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    paste, rind = product.colour, shade(product.colour, 0.72)
    shadow(image, (200, 700, 1000, 800))
    board = (170, 700, 1030, 760)
    draw.rounded_rectangle(board, radius=20, fill=(175, 130, 80), outline=(120, 85, 50), width=4)
    top_face = [(260, 470), (960, 420), (760, 560)]
    front_face = [(260, 470), (760, 560), (760, 720), (260, 640)]
    side_face = [(760, 560), (960, 420), (960, 590), (760, 720)]
    draw.polygon(front_face, fill=paste)
    draw.polygon(top_face, fill=shade(paste, 1.12))
    draw.polygon(side_face, fill=rind)
    for _ in range(9):  # holes in the cut face
        x, r = rng.randint(320, 720), rng.randint(8, 22)
        upper, lower = 470 + (x - 260) * 90 // 500, 640 + (x - 260) * 80 // 500
        y = rng.randint(upper + r + 10, lower - r - 10)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=shade(paste, 0.8))
    tag = (150, 150, 560, 300)
    draw.rounded_rectangle(tag, radius=12, fill=(250, 248, 240), outline=(60, 60, 60), width=3)
    centred_text(draw, (tag[0] + 20, tag[1] + 12, tag[2] - 20, tag[3] - 60), product.title, 36, (30, 30, 30))
    draw_text(draw, (tag[0] + 20, tag[3] - 50), f"{product.price} €", font(34), (160, 20, 20))


def draw_generic(image: Image.Image, product: Product, rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    base = product.colour
    shadow(image, (260, 700, 940, 790))
    draw.ellipse((240, 640, 960, 780), fill=(245, 245, 245), outline=(200, 200, 200), width=4)  # plate
    for i in range(rng.randint(3, 5)):
        x, y = 340 + i * 110 + rng.randint(-20, 20), 560 + rng.randint(-30, 30)
        draw.rounded_rectangle((x, y, x + 160, y + 120), radius=18, fill=shade(base, rng.uniform(0.85, 1.1)))
        for _ in range(12):
            px, py = rng.randint(x + 10, x + 150), rng.randint(y + 10, y + 60)
            draw.ellipse((px - 6, py - 4, px + 6, py + 4), fill=(250, 240, 210))
    centred_text(draw, (150, 120, 1050, 360), product.title, 64, shade(base, 0.45))


DRAWERS = {"bottle": draw_bottle, "bread": draw_bread, "book": draw_book, "cheese": draw_cheese}


def dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 2)
    return Fraction(degrees), Fraction(minutes), Fraction(seconds).limit_denominator(100)


def exif_with_gps(town: Town, title: str) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Downtown Demo"  # Make
    exif[0x0110] = "Seed Camera"  # Model
    exif[0x010E] = title  # ImageDescription
    exif[0x0132] = "2024:05:17 10:42:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[0x0000] = b"\x02\x03\x00\x00"  # GPSVersionID
    gps[0x0001] = "N" if town.latitude >= 0 else "S"
    gps[0x0002] = dms(abs(town.latitude))
    gps[0x0003] = "E" if town.longitude >= 0 else "W"
    gps[0x0004] = dms(abs(town.longitude))
    return exif


def photo(town_id: str, town: Town, product: Product) -> bytes:
    """A 1200x900 JPEG of ``product``: the same bytes for the same town and offer, every run."""
    seed = int.from_bytes(hashlib.sha256(f"{town_id}:{product.slug}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    image = backdrop(rng)
    DRAWERS.get(product.look, draw_generic)(image, product, rng)
    # Sensor noise and a touch of blur: it looks like a photo and weighs like one (100-300 KB).
    noise = Image.frombytes("L", PHOTO_SIZE, rng.randbytes(PHOTO_SIZE[0] * PHOTO_SIZE[1]))
    image = Image.blend(image, Image.merge("RGB", (noise, noise, noise)), 0.06)
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    vignette = Image.new("L", PHOTO_SIZE, 0)
    ImageDraw.Draw(vignette).ellipse((-300, -250, 1500, 1150), fill=255)
    image = Image.composite(image, shade_image(image), vignette.filter(ImageFilter.GaussianBlur(120)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, exif=exif_with_gps(town, product.title))
    return out.getvalue()


def shade_image(image: Image.Image) -> Image.Image:
    return image.point(lambda v: int(v * 0.7))


# --- the API -------------------------------------------------------------------------------


class SeedError(Exception):
    pass


def idempotency_key(town_id: str, *slugs: str) -> str:
    key = ":".join(("seed", town_id, *slugs))
    if not key.isascii() or len(key) > 200:
        key = "seed-" + hashlib.sha256(key.encode()).hexdigest()
    return key


def call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; connection failures are retried (safe: creating calls carry idempotency keys)."""
    for attempt in range(4):
        try:
            response = client.request(method, path, **kwargs)
            break
        except httpx.TransportError as error:
            if attempt == 3:
                raise SeedError(
                    f"{method} {path}: {error!r} — is the catalog API running at {client.base_url}?"
                ) from error
            time.sleep(1 + attempt)
    if response.is_error:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise SeedError(f"{method} {path} answered {response.status_code}: {detail}")
    return response


class TokenCache:
    """The demo merchants' tokens, kept between runs in ``.downtown/towns/<town>.seed-tokens.json``
    (readable by the owner only), so a second run does not replace them every time."""

    def __init__(self, town_id: str) -> None:
        self.path = Path(".downtown/towns") / f"{town_id}.seed-tokens.json"
        self.tokens: dict[str, str] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600)
        self.path.write_text(json.dumps(self.tokens, indent=1))


def merchant_token(client: httpx.Client, registered: httpx.Response, association_token: str, cache: TokenCache) -> str:
    """The token from a new registration; for a replay, the one kept from an earlier run if it
    still works, else a fresh one from the association (which voids the older ones)."""
    merchant_id = registered.json()["merchant"]["merchant_id"]
    token = registered.json()["token"] or cache.tokens.get(merchant_id)
    if token and client.get("/merchants/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200:
        cache.tokens[merchant_id] = token
        return str(token)
    issued = call(
        client,
        "POST",
        f"/merchants/{merchant_id}/tokens",
        headers={"Authorization": f"Bearer {association_token}"},
    )
    cache.tokens[merchant_id] = issued.json()["token"]
    return str(cache.tokens[merchant_id])


def shop_location(town: Town, shop: Shop) -> dict[str, float]:
    """The shop's door on the map, a few hundred metres from the town's centre (where the
    couriers pick up): the same place on every run."""
    digest = hashlib.sha256(shop.slug.encode()).digest()
    return {
        "lat": round(town.latitude + (digest[0] - 128) / 40_000, 6),
        "lon": round(town.longitude + (digest[1] - 128) / 25_000, 6),
    }


def seed_shop(
    client: httpx.Client, town_id: str, town: Town, shop: Shop, association_token: str, cache: TokenCache
) -> tuple[bool, int, int]:
    """Register ``shop``, list its offers, close it if it is on holiday: (new?, offers, new offers)."""
    registration = {
        "name": shop.name,
        "category": shop.category,
        "address": {"street": shop.street, "postal_code": town.postal_code, "city": town.name},
        "phone": shop.phone,
        "email": shop.email,
        "video_consultation_url": shop.video_url,
        "offers_delivery": shop.delivery,
        "offers_pickup": shop.pickup,
        "sells_vouchers": shop.vouchers,
        "opening_hours": shop.hours,
    }  # the place on the map follows as a profile change: a registration keeps the body it was first sent with
    key = idempotency_key(town_id, "merchant", shop.slug)
    response = call(client, "POST", "/merchants", json=registration, headers={"Idempotency-Key": key})
    merchant_created = response.status_code == 201
    auth = {"Authorization": f"Bearer {merchant_token(client, response, association_token, cache)}"}
    profile = call(client, "GET", "/merchants/me", headers=auth).json()["profile"]
    wanted = {**profile, "location": shop_location(town, shop)}
    if shop.tax_number:
        wanted["tax_number"] = shop.tax_number
    if wanted != profile:  # a shop seeded before it had a tax number or a place on the map
        call(client, "PUT", "/merchants/me/profile", json=wanted, headers=auth)
    if shop.vouchers or shop.tax_number:  # vouchers and invoices are acting with money: the association vouches first
        merchant_id = response.json()["merchant"]["merchant_id"]
        association = {"Authorization": f"Bearer {association_token}"}
        call(client, "POST", f"/merchants/{merchant_id}/approval", headers=association)  # again: no change
    new_offers = 0
    for offer in shop.offers:
        headers = {**auth, "Idempotency-Key": idempotency_key(town_id, "offer", shop.slug, offer.slug)}
        if isinstance(offer, Product):
            form = {
                "title": offer.title,
                "price": offer.price,
                "description": offer.description,
                "category": offer.category,
                "stock": str(offer.stock),
            }
            files = {"photo": (f"{offer.slug}.jpg", photo(town_id, town, offer), "image/jpeg")}
            response = call(client, "POST", "/offers/products", data=form, files=files, headers=headers)
        else:
            listing = {
                "title": offer.title,
                "description": offer.description,
                "category": offer.category,
                "price": offer.price,
                "duration_minutes": offer.duration_minutes,
                "weekly_availability": offer.availability,
            }
            response = call(client, "POST", "/offers/services", json=listing, headers=headers)
        new_offers += response.status_code == 201
    if shop.closed_note is not None:  # closing a closed shop changes nothing
        call(client, "POST", "/merchants/me/closure", json={"note": shop.closed_note}, headers=auth)
    return merchant_created, len(shop.offers), new_offers


def seed(town_id: str, api: str, association_token: str) -> None:
    town = town_for(town_id)
    offer_count = sum(len(shop.offers) for shop in town.shops)
    print(f"seeding {town_id}: {len(town.shops)} merchants, {offer_count} offers", flush=True)
    new_merchants = new_offers = 0
    cache = TokenCache(town_id)
    with httpx.Client(base_url=api.rstrip("/"), timeout=60) as client:
        for shop in town.shops:
            created, offers, created_offers = seed_shop(client, town_id, town, shop, association_token, cache)
            cache.save()
            new_merchants += created
            new_offers += created_offers
            state = "new" if created else "exists"
            closed = f", closed: {shop.closed_note}" if shop.closed_note else ""
            print(f"  {shop.name} ({state}): {offers} offers, {created_offers} new{closed}", flush=True)
    print(
        f"seeded {town_id} ({town.name}): {len(town.shops)} merchants ({new_merchants} new), "
        f"{offer_count} offers ({new_offers} new) — try {api.rstrip('/')}/catalog?q=wein",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--town", required=True, help="town id, e.g. schoeppingen or muenster")
    parser.add_argument(
        "--api",
        default=os.environ.get("DOWNTOWN_CATALOG_API"),
        help="the town's catalog API, e.g. http://127.0.0.1:18101 (default: $DOWNTOWN_CATALOG_API)",
    )
    parser.add_argument(
        "--association-token",
        default=os.environ.get("DOWNTOWN_ASSOCIATION_TOKEN"),
        help="the town's association token (default: $DOWNTOWN_ASSOCIATION_TOKEN), for tokens on a second run",
    )
    args = parser.parse_args(argv)
    if not args.api:
        parser.error("give --api or set DOWNTOWN_CATALOG_API")
    if not args.association_token:
        parser.error("give --association-token or set DOWNTOWN_ASSOCIATION_TOKEN")
    try:
        seed(args.town, args.api, args.association_token)
    except SeedError as error:
        print(f"seeding {args.town} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
