// Links that open a menu, add a list filter or run a bulk action point at "#": the
// Content-Security-Policy (crm/security_headers.py) refuses javascript: links and inline
// handlers. They are caught on the way down to the link (capture), because Flask-Admin's
// dropdown script stops the click from bubbling back up.
document.addEventListener('click', function (event) {
  var link = event.target.closest('a[href="#"]');
  if (!link) {
    return;
  }
  event.preventDefault();
  if (link.hasAttribute('data-action')) {
    modelActions.execute(link.getAttribute('data-action'));
  }
}, true);
