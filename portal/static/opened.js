// Tells the server once that this card's QR code was opened (a POST: GETs change nothing).
(function () {
  var form = document.getElementById("opened");
  if (form && navigator.sendBeacon) {
    navigator.sendBeacon(form.action, new FormData(form));
  }
})();
