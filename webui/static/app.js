// Progressive enhancement only: every page works without this script.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  // The language menu applies on change; without script its button does.
  document.querySelectorAll('select[data-autosubmit]').forEach(function (sel) {
    sel.addEventListener('change', function () {
      var next = sel.form.querySelector('input[name="next"]');
      if (next) next.value = location.pathname + location.search;
      sel.form.submit();
    });
  });

  // Sort a table by a column without a reload; numbers by data-value.
  document.querySelectorAll('table[data-sortable]').forEach(function (table) {
    var heads = table.querySelectorAll('thead th');
    heads.forEach(function (th, col) {
      th.setAttribute('tabindex', '0');
      var sort = function () {
        var numeric = th.dataset.type === 'number';
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var c = numeric
            ? parseFloat(x.dataset.value || x.textContent) - parseFloat(y.dataset.value || y.textContent)
            : x.textContent.trim().localeCompare(y.textContent.trim(), document.documentElement.lang);
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sort(); });
    });
  });

  // Live validation in the model editor: the server's validator runs as
  // the person types (nothing is stored until they save).
  var src = document.querySelector('textarea[data-validate]');
  if (src) {
    var live = document.getElementById('live');
    var csrf = src.form.querySelector('input[name="csrf"]').value;
    var timer = null, seq = 0;
    var check = function () {
      var mine = ++seq;
      var body = new URLSearchParams({ source: src.value });
      fetch(src.dataset.validate, { method: 'POST', headers: { 'X-CSRF-Token': csrf }, body: body, credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (res) {
          if (!res || mine !== seq) return;
          var errs = res.diagnostics.filter(function (d) { return d.severity === 'error'; });
          live.textContent = res.diagnostics.length === 0 ? '✓'
            : res.diagnostics.map(function (d) { return d.line + ':' + d.column + ' ' + d.severity + ': ' + d.message; }).join('\n');
          live.className = errs.length ? 'hint error' : 'hint';
          live.style.whiteSpace = 'pre-line';
        })
        .catch(function () { /* live checks are a convenience; saving still validates */ });
    };
    src.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(check, 500); });
  }

  // The annotated file opens at its first problem.
  var first = document.querySelector('.annotated .has-diag');
  if (first) first.parentElement.scrollTop = first.offsetTop - first.parentElement.offsetTop - 48;

  // A running job's page refreshes itself until the job ends.
  var job = document.querySelector('[data-job][data-running="true"]');
  if (job) setTimeout(function () { location.reload(); }, 1500);
})();
