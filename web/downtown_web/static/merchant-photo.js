// SPDX-License-Identifier: AGPL-3.0-or-later
// The new offer's photo, scaled down on the phone before it is sent: a 12-megapixel photo
// becomes a JPEG of at most 1600 px (the catalog's largest variant), a few hundred KB
// instead of several MB over a mobile connection. Progressive enhancement only: without
// this script (or where a browser cannot do it) the photo is sent as taken.
(function () {
  "use strict";
  var LONGEST = 1600;
  var input = document.getElementById("photo");
  if (!input || !window.createImageBitmap || !window.DataTransfer || !HTMLCanvasElement.prototype.toBlob) {
    return;
  }
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file || !/^image\//.test(file.type) || file.size < 400 * 1024) {
      return;
    }
    createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LONGEST / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (!blob || blob.size >= file.size) {
          return;
        }
        var smaller = new DataTransfer();
        smaller.items.add(new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }));
        input.files = smaller.files;
      }, "image/jpeg", 0.85);
    }).catch(function () { /* sent as taken */ });
  });
})();
