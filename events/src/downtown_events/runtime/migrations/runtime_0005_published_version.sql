-- depends: runtime_0004_throttle
-- An event's place among the *published* events of its stream: what the relay sends as
-- ce_streamversion. Private events (never published) have none, so a consumer of the topic
-- sees versions 1, 2, 3 … without holes where a private event sits in the stream (a voucher's
-- code hash between its issue and its first redemption), and tracking never waits for a
-- version that will never come. Until now no service stored private events, so every stored
-- event was published: its published version is its version.
ALTER TABLE events ADD COLUMN published_version integer;
UPDATE events SET published_version = version;
