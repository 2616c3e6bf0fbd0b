// SPDX-License-Identifier: AGPL-3.0-or-later
// A code read by the phone's camera (a pickup slip's, a voucher's), where the browser can read
// QR codes itself (the BarcodeDetector API): a "Scan" button beside each field marked
// data-scan="qr" opens the camera, and the code it sees fills the field and sends the form. Progressive enhancement only: without this
// script, or where a browser has no BarcodeDetector, the code is typed.
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var detector;
  try {
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  } catch (error) {
    return;
  }
  var label = document.documentElement.lang === "de" ? "Mit der Kamera scannen" : "Scan with the camera";
  var fields = document.querySelectorAll('input[data-scan="qr"]');
  Array.prototype.forEach.call(fields, function (field) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "quiet";
    button.textContent = label;
    field.parentNode.insertBefore(button, field.nextSibling);
    button.addEventListener("click", function () { scan(field, button); });
  });

  function scan(field, button) {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      var video = document.createElement("video");
      video.setAttribute("playsinline", "");
      video.muted = true;
      video.style.display = "block";
      video.style.maxWidth = "100%";
      video.srcObject = stream;
      button.parentNode.insertBefore(video, button.nextSibling);
      button.disabled = true;
      var stop = function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        video.remove();
        button.disabled = false;
      };
      var look = function () {
        if (!video.isConnected) {
          return;
        }
        detector.detect(video).then(function (codes) {
          if (codes.length && codes[0].rawValue) {
            field.value = codes[0].rawValue.trim();
            stop();
            field.form.requestSubmit();
          } else {
            window.setTimeout(look, 250);
          }
        }).catch(function () { window.setTimeout(look, 500); });
      };
      video.play().then(look).catch(stop);
    }).catch(function () { /* no camera, or not allowed: the code is typed */ });
  }
})();
