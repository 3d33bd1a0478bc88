// stagebot dashboard: live updates from the server's event stream (server-sent events, no polling).
// A step event changes that step's state in place at once; then the page's live regions are
// re-rendered by the server (one fetch per burst of events) so counts and tables stay exact.
(function () {
  'use strict';
  var live = document.body.getAttribute('data-live');
  if (!live || !window.EventSource) return;
  var status = document.getElementById('live-status');
  var indicator = document.getElementById('live-state');
  var url = '/live' + (live.indexOf('run:') === 0 ? '?run=' + encodeURIComponent(live.slice(4)) : '');
  var source = new EventSource(url);
  var timer = null;

  function say(text) { if (status) status.textContent = text; }
  function setIndicator(text) { if (indicator) indicator.textContent = text; }

  source.addEventListener('open', function () { setIndicator('on'); });
  source.addEventListener('error', function () { setIndicator('reconnecting'); });

  function stateOf(type) {
    if (type === 'step.started') return 'running';
    if (type === 'step.finished') return 'succeeded';
    if (type === 'step.failed') return 'failed';
    if (type === 'step.skipped') return 'skipped';
    return null;
  }

  function updateStep(e) {
    var state = stateOf(e.type);
    if (!state || !e.step) return;
    var nodes = document.querySelectorAll('[data-run-step]');
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      if (n.getAttribute('data-run-step') !== e.runId + ' ' + e.step) continue;
      var badge = n.querySelector('.badge');
      if (badge) { badge.textContent = state; badge.className = 'badge state-' + state; }
      n.setAttribute('data-state', state);
    }
    var current = document.querySelectorAll('[data-current-step]');
    for (var j = 0; j < current.length; j++) {
      if (current[j].getAttribute('data-current-step') === e.runId && state === 'running') current[j].textContent = e.step;
    }
    say(e.runId + ': ' + e.step + ' ' + state);
  }

  function refresh() {
    timer = null;
    fetch(location.href, { headers: { 'x-live-refresh': '1' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) return;
        var next = new DOMParser().parseFromString(text, 'text/html');
        var regions = document.querySelectorAll('[data-live-region]');
        for (var i = 0; i < regions.length; i++) {
          var region = regions[i];
          var fresh = next.getElementById(region.id);
          // A region the person is working in (a focused form) is left alone until they are done.
          if (!fresh || region.contains(document.activeElement)) continue;
          region.innerHTML = fresh.innerHTML;
        }
      })
      .catch(function () { /* the next event tries again */ });
  }

  source.addEventListener('run', function (message) {
    var e;
    try { e = JSON.parse(message.data); } catch (err) { return; }
    updateStep(e);
    if (e.type.indexOf('run.') === 0) say(e.runId + ': ' + e.type.slice(4));
    if (timer === null) timer = setTimeout(refresh, 300);
  });
})();
