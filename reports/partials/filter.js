(function () {
  // Optional: the page reads the same without this. Filters case rows and sections; opens details for printing.
  var bar = document.getElementById('filter');
  if (bar) {
    var status = document.getElementById('filter-status');
    var query = document.getElementById('filter-text');
    var count = document.getElementById('filter-count');
    var items = document.querySelectorAll('[data-case]');
    var apply = function () {
      var s = status.value, q = query.value.trim().toLowerCase(), shown = 0, rows = 0;
      for (var i = 0; i < items.length; i++) {
        var el = items[i], st = el.getAttribute('data-status');
        var ok = (s === 'all' || (s === 'problems' ? /^(fail|warn|error)$/.test(st) : st === s)) &&
          (!q || el.getAttribute('data-search').indexOf(q) >= 0);
        el.hidden = !ok;
        if (el.tagName === 'TR') { rows++; if (ok) shown++; }
      }
      count.textContent = shown === rows ? '' : shown + ' of ' + rows + ' cases shown';
    };
    status.addEventListener('change', apply);
    query.addEventListener('input', apply);
    bar.hidden = false;
  }
  var reopen = [];
  window.addEventListener('beforeprint', function () {
    var d = document.querySelectorAll('details:not([open])');
    for (var i = 0; i < d.length; i++) { d[i].open = true; reopen.push(d[i]); }
  });
  window.addEventListener('afterprint', function () {
    while (reopen.length) reopen.pop().open = false;
  });
})();
