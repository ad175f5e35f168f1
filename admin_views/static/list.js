// A list page's menus without inline event handlers, which the Content-Security-Policy
// forbids (crm/security_headers.py): choosing a filter is handled by Flask-Admin's
// bs4_filters.js, a bulk action by its actions.js; here the links only stop being links.
document.addEventListener('click', function (event) {
  var item = event.target.closest('a.filter, a[data-action]');
  if (!item) {
    return;
  }
  event.preventDefault();
  if (item.hasAttribute('data-action')) {
    modelActions.execute(item.getAttribute('data-action'));
  }
});
