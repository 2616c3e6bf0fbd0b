// SPDX-License-Identifier: AGPL-3.0-or-later
// A code read by the phone's camera (a pickup slip's, a voucher's): a button beside each field
// marked data-scan="qr" opens the camera, and the code it sees fills the field and sends the
// form. The browser reads the QR code itself where it can (BarcodeDetector: Chrome on Android);
// where it cannot (Safari on an iPhone, Firefox, Chromium on Linux) the vendored jsQR reads the
// video's frames drawn on a canvas. jsQR (250 KB, 57 KB gzipped) is loaded only when the camera
// is opened, so a page that never scans never downloads it. The texts come from the field's
// data-scan-label and data-scan-refused, which the template translates. Progressive enhancement
// only: without this script, a camera, or the permission to use it, the code is typed.
(function () {
  "use strict";
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var JSQR = "/static/vendor/jsqr/jsQR.js";
  var MAX_WIDTH = 640; // wide enough for a code held up to the camera, small enough to decode often
  var EVERY_MS = 200;
  var jsqrLoaded = null;

  var fields = document.querySelectorAll('input[data-scan="qr"]');
  Array.prototype.forEach.call(fields, function (field) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "quiet";
    button.textContent = field.getAttribute("data-scan-label");
    field.parentNode.insertBefore(button, field.nextSibling);
    button.addEventListener("click", function () { scan(field, button); });
  });

  // The browser's own reader, if it reads QR codes: a function from the video to a promise of
  // the code seen (or null); else null.
  function nativeReader() {
    if (!("BarcodeDetector" in window) || !window.BarcodeDetector.getSupportedFormats) {
      return Promise.resolve(null);
    }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) {
        return null;
      }
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function (video) {
        return detector.detect(video).then(function (codes) {
          return codes.length && codes[0].rawValue ? codes[0].rawValue : null;
        });
      };
    }).catch(function () { return null; });
  }

  // jsQR, loaded once as a <script> (the page's Content-Security-Policy allows its own files).
  function loadJsQR() {
    if (!jsqrLoaded) {
      jsqrLoaded = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = JSQR;
        script.onload = function () { resolve(window.jsQR); };
        script.onerror = function () { jsqrLoaded = null; reject(new Error("jsQR not loaded")); };
        document.head.appendChild(script);
      });
    }
    return jsqrLoaded;
  }

  function jsqrReader(jsQR) {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return function (video) {
      var scale = Math.min(1, MAX_WIDTH / (video.videoWidth || MAX_WIDTH));
      var width = Math.round(video.videoWidth * scale);
      var height = Math.round(video.videoHeight * scale);
      if (!width || !height) {
        return Promise.resolve(null);
      }
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      var found = jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
      return Promise.resolve(found && found.data ? found.data : null);
    };
  }

  function reader() {
    return nativeReader().then(function (read) {
      return read || loadJsQR().then(jsqrReader);
    });
  }

  function refused(field, button) {
    var said = document.createElement("p");
    said.className = "problem scan-refused";
    said.setAttribute("role", "status");
    said.textContent = field.getAttribute("data-scan-refused");
    button.parentNode.insertBefore(said, button.nextSibling);
    field.focus();
  }

  function stopped(stream) {
    stream.getTracks().forEach(function (track) { track.stop(); });
  }

  function scan(field, button) {
    var earlier = button.parentNode.querySelector(".scan-refused");
    if (earlier) {
      earlier.remove();
    }
    button.disabled = true;
    // the camera first, then the reader: no camera, no jsQR downloaded
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      return reader().then(function (read) {
        watch(field, button, stream, read);
      }, function (error) {
        stopped(stream);
        throw error;
      });
    }).catch(function () {
      // no camera, not allowed, or jsQR not loaded: the code is typed
      button.disabled = false;
      refused(field, button);
    });
  }

  // The camera's picture under the button, looked at until a code is seen.
  function watch(field, button, stream, read) {
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    video.style.display = "block";
    video.style.maxWidth = "100%";
    video.srcObject = stream;
    button.parentNode.insertBefore(video, button.nextSibling);
    var stop = function () {
      stopped(stream);
      video.remove();
      button.disabled = false;
    };
    var look = function () {
      if (!video.isConnected) {
        return;
      }
      read(video).then(function (code) {
        if (code) {
          field.value = code.trim();
          stop();
          field.form.requestSubmit();
        } else {
          window.setTimeout(look, EVERY_MS);
        }
      }).catch(function () { window.setTimeout(look, 2 * EVERY_MS); });
    };
    video.play().then(look).catch(stop);
  }
})();
