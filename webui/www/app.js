/* hv-webd page: a single page served by hv-webd itself, no external
 * requests. Live data arrives over Server-Sent Events (/api/v1/events);
 * history comes from /api/v1/history (ring for minutes, RRD beyond).
 * Charts use uPlot when hv-webd embedded it, else a small canvas fallback. */
'use strict';
(function () {
  const $ = (s, el) => (el || document).querySelector(s);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) =>
    ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const nn = (v) => v !== null && v !== undefined && isFinite(v);
  const fmt = {
    pct: (v) => nn(v) ? v.toFixed(1) + '%' : '-',
    w: (v) => nn(v) ? v.toFixed(1) + ' W' : '-',
    hz: (v) => nn(v) ? (v / 1e9).toFixed(2) + ' GHz' : '-',
    bytes: (v) => {
      if (!nn(v)) return '-';
      const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0;
      while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
      return (i ? v.toFixed(1) : v.toFixed(0)) + ' ' + u[i];
    },
    bps: (v) => nn(v) ? fmt.bytes(v) + '/s' : '-',
  };

  const S = {
    cfg: null, live: null, spark: new Map(), hostHist: [], heat: null,
    sort: { col: 4, asc: false }, filter: '', view: null, domCharts: [],
    domKey: null, domRange: 600, order: [], heatHist: [], lastT: 0,
  };
  const SPARK_N = 60, HOST_N = 300, HEAT_N = 120;

  /* ---- theme ---- */
  function applyTheme(t) {
    if (t === 'auto') t = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
    document.documentElement.dataset.theme = t;
  }
  $('#theme').addEventListener('click', () => {
    const cur = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('hv-theme', cur); applyTheme(cur); redrawAll();
  });

  /* ---- HTTP ---- */
  async function getJSON(url) {
    const r = await fetch(url, { credentials: 'same-origin' });
    const j = await r.json().catch(() => null);
    if (!r.ok) throw new Error((j && j.error && j.error.message) || ('HTTP ' + r.status));
    return j;
  }

  /* ---- charts ---- */
  function css(v) { return getComputedStyle(document.documentElement).getPropertyValue(v).trim(); }
  function fallbackChart(el, series, data, h) {
    const c = document.createElement('canvas'); c.className = 'fallback'; el.appendChild(c);
    const o = { el, c, series, data, h, setData(d) { this.data = d; this.draw(); }, destroy() { c.remove(); } };
    o.draw = function () {
      const w = el.clientWidth || 400, H = h, dpr = devicePixelRatio || 1;
      c.width = w * dpr; c.height = H * dpr; c.style.height = H + 'px';
      const g = c.getContext('2d'); g.scale(dpr, dpr); g.clearRect(0, 0, w, H);
      const t = this.data[0] || []; if (t.length < 2) return;
      let max = 0; for (let k = 1; k < this.data.length; k++) for (const v of this.data[k]) if (nn(v) && v > max) max = v;
      max = max || 1; const t0 = t[0], t1 = t[t.length - 1] || t0 + 1;
      g.fillStyle = css('--muted'); g.font = '11px sans-serif'; g.fillText(series[1].value ? series[1].value(null, max) : max.toFixed(1), 2, 10);
      for (let k = 1; k < this.data.length; k++) {
        g.strokeStyle = series[k].stroke; g.lineWidth = 1.5; g.beginPath(); let pen = false;
        for (let i = 0; i < t.length; i++) {
          const v = this.data[k][i]; if (!nn(v)) { pen = false; continue; }
          const x = (t[i] - t0) / (t1 - t0) * (w - 4) + 2, y = H - 4 - v / max * (H - 16);
          if (pen) g.lineTo(x, y); else g.moveTo(x, y); pen = true;
        }
        g.stroke();
      }
    };
    o.draw(); return o;
  }
  function makeChart(el, title, series, data, h) {
    h = h || 180;
    if (window.uPlot) {
      const opts = {
        title, width: el.clientWidth || 600, height: h,
        series: [{}].concat(series.slice(1)),
        /* Time labels ("12:34:56") need ~60 px: at least 90 px between
         * ticks keeps them apart from a phone (390 px) to 1920 px. */
        axes: [{ stroke: css('--muted'), grid: { stroke: css('--line') }, space: 90 },
               { stroke: css('--muted'), grid: { stroke: css('--line') }, size: 84,
                 values: (u, vals) => vals.map((v) => series[1].value ? series[1].value(u, v) : v) }],
      };
      /* A series on its own scale (watts next to bytes) gets a right axis. */
      const own = series.slice(1).find((x) => x.scale && x.scale !== 'y');
      if (own) opts.axes.push({ scale: own.scale, side: 1, stroke: css('--muted'), grid: { show: false }, size: 50 });
      return new window.uPlot(opts, data, el);
    }
    const t = document.createElement('div'); t.textContent = title; t.className = 'muted'; el.appendChild(t);
    return fallbackChart(el, series, data, h);
  }
  function sizeCharts(list) { for (const c of list) if (c && c.setSize && c.root) c.setSize({ width: c.root.parentNode.clientWidth, height: c.height }); else if (c && c.draw) c.draw(); }

  /* ---- sparkline and heatmap ---- */
  function drawSpark(cv, arr) {
    const dpr = devicePixelRatio || 1, w = 100, h = 20;
    if (cv.width !== w * dpr) { cv.width = w * dpr; cv.height = h * dpr; }
    const g = cv.getContext('2d'); g.setTransform(dpr, 0, 0, dpr, 0, 0); g.clearRect(0, 0, w, h);
    if (!arr) return;
    let max = 100; for (const v of arr) if (nn(v) && v > max) max = v;
    g.strokeStyle = css('--accent'); g.lineWidth = 1; g.beginPath(); let pen = false;
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]; if (!nn(v)) { pen = false; continue; }
      const x = w - (arr.length - 1 - i) * (w / (SPARK_N - 1)), y = h - 1 - v / max * (h - 2);
      if (pen) g.lineTo(x, y); else g.moveTo(x, y); pen = true;
    }
    g.stroke();
  }
  function heatColor(x) { /* 0..1 → blue..yellow..red */
    if (!nn(x)) return 'rgba(128,128,128,0.25)';
    x = Math.max(0, Math.min(1, x));
    const r = Math.round(255 * Math.min(1, x * 2)), gr = Math.round(200 * (x < 0.5 ? x * 2 : 2 - x * 2) + 40), b = Math.round(255 * Math.max(0, 1 - x * 2));
    return `rgb(${r},${gr},${b})`;
  }
  function heatPush(cv, col) { /* scroll left by one column, paint the new one */
    const n = col.length; if (!n) return;
    const cols = HEAT_N;
    if (cv.width !== cols || cv.height !== n) { cv.width = cols; cv.height = n; }
    const g = cv.getContext('2d');
    g.drawImage(cv, -1, 0);
    for (let i = 0; i < n; i++) { g.fillStyle = heatColor(col[i]); g.fillRect(cols - 1, i, 1, 1); }
  }
  /* One heatmap column per sample: frequency against the sample's fastest
   * CPU, and deep idle; offline CPUs grey. */
  function heatCols(online, hz, deep) {
    let fmax = 0; for (const v of hz) if (nn(v) && v > fmax) fmax = v;
    return { freq: hz.map((v, i) => online[i] === 0 ? NaN : v / (fmax || 1)),
      idle: deep.map((v, i) => online[i] === 0 ? NaN : v / 100) };
  }
  function heatFill() { /* a fresh canvas gets every column kept */
    for (const c of S.heatHist) { heatPush(S.heat.freq, c.freq); heatPush(S.heat.idle, c.idle); }
  }
  /* The last minutes from the server's ring, so the heatmaps and the
   * sparklines are full at first paint instead of filling from empty. */
  async function seedFromRing() {
    const j = await getJSON(`/api/v1/history/overview?range=${HEAT_N}&spark=${SPARK_N}`);
    const p = j.pcpu || {};
    S.heatHist = (p.cur_hz || []).map((hz, i) => heatCols(p.online[i], hz, p.deep_idle_pct[i])).slice(-HEAT_N);
    for (const k in j.spark || {}) S.spark.set(k, j.spark[k].slice(-SPARK_N));
    if (j.t && j.t.length) S.lastT = j.t[j.t.length - 1];
  }

  /* ---- live updates ---- */
  function onLive(j) {
    S.live = j;
    const h = j.host || {};
    /* The first frame can be the ring's last sample again: not twice. */
    const fresh = !(j.time <= S.lastT + 1e-3);
    if (fresh) {
      S.lastT = j.time;
      S.hostHist.push([j.time, h.power_watts, h.busy_pct]);
      if (S.hostHist.length > HOST_N) S.hostHist.shift();
      const pc = j.pcpu || [];
      const col = heatCols(pc.map((p) => p[1]), pc.map((p) => p[2]), pc.map((p) => p[4]));
      S.heatHist.push(col); if (S.heatHist.length > HEAT_N) S.heatHist.shift();
      if (S.view === 'overview' && S.heat) { heatPush(S.heat.freq, col.freq); heatPush(S.heat.idle, col.idle); }
    }
    const seen = new Set();
    for (const d of j.dom || []) {
      let a = S.spark.get(d[0]); if (!a) { a = []; S.spark.set(d[0], a); }
      if (fresh) { a.push(d[4]); if (a.length > SPARK_N) a.shift(); }
      seen.add(d[0]);
    }
    for (const k of S.spark.keys()) if (!seen.has(k)) S.spark.delete(k);
    if (S.view === 'overview') updateOverview();
    if (S.view === 'domain' && S.domRange <= 600) appendDomain(j);
  }
  function connect() {
    const st = $('#status');
    const es = new EventSource('/api/v1/events');
    es.addEventListener('snap', (e) => {
      st.textContent = 'live'; st.className = 'status live';
      try { onLive(JSON.parse(e.data)); } catch (err) { console.warn('bad event', err); }
    });
    es.onerror = () => { st.textContent = 'reconnecting…'; st.className = 'status down'; };
  }

  /* ---- overview ---- */
  const COLS = [
    ['Name', 1, 's'], ['State', 2, 's'], ['vCPU', 3, 'n'], ['CPU', 4, 'n'], ['Steal', 5, 'n'],
    ['Trend', -1, ''], ['Memory', 6, 'n'], ['Net rx', 7, 'n'], ['Net tx', 8, 'n'],
    ['Disk rd', 9, 'n'], ['Disk wr', 10, 'n'], ['Power', 11, 'n']];
  const ROW_H = 28;
  function renderOverview() {
    S.view = 'overview';
    $('#view').innerHTML = `
      <div class="cards" id="cards"></div>
      <div class="grid2">
        <div class="panel"><h2>pCPU frequency <span class="muted">(last 120 s, rows = CPUs)</span></h2>
          <canvas class="heat" id="heat-freq"></canvas><div class="legend">blue = low, red = max frequency; grey = offline or unknown</div></div>
        <div class="panel"><h2>pCPU deep idle <span class="muted">(C-states past the first)</span></h2>
          <canvas class="heat" id="heat-idle"></canvas><div class="legend">blue = busy/shallow, red = deep idle</div></div>
      </div>
      <div class="grid2"><div class="panel"><h2>Host power and load</h2><div class="chart" id="power-chart"></div></div></div>
      <div class="toolbar"><h2 style="margin:0">Domains <span class="muted" id="dcount"></span></h2>
        <input id="filter" placeholder="filter by name" value="${esc(S.filter)}"></div>
      <div class="dt" id="dt"><div class="hdr">${COLS.map((c, i) =>
        `<span data-i="${i}" class="${c[2] === 'n' ? 'num' : ''}">${c[0]}</span>`).join('')}</div>
        <div class="body" id="dt-body"><div class="spacer" id="dt-spacer"></div></div></div>`;
    $('#filter').addEventListener('input', (e) => { S.filter = e.target.value.toLowerCase(); updateTable(true); });
    $('#dt .hdr').addEventListener('click', (e) => {
      const i = +e.target.dataset.i; if (!(i >= 0) || COLS[i][1] < 0) return;
      if (S.sort.col === COLS[i][1]) S.sort.asc = !S.sort.asc; else S.sort = { col: COLS[i][1], asc: COLS[i][2] === 's' };
      updateTable(true);
    });
    $('#dt-body').addEventListener('scroll', () => paintRows());
    $('#dt-body').addEventListener('click', (e) => {
      const r = e.target.closest('.row'); if (r && r.dataset.key) location.hash = '#/domain/' + encodeURIComponent(r.dataset.key);
    });
    S.heat = { freq: $('#heat-freq'), idle: $('#heat-idle') };
    heatFill();
    const h = S.hostHist;
    S.powerChart = makeChart($('#power-chart'), '', [{}, { label: 'Power (W)', stroke: css('--accent2'), value: (u, v) => nn(v) ? v.toFixed(0) : '-' },
      { label: 'Busy (%)', stroke: css('--accent') }], [h.map((x) => x[0]), h.map((x) => x[1]), h.map((x) => x[2])], 160);
    S.rows = [];
    if (S.live) updateOverview();
  }
  function updateOverview() {
    const j = S.live, h = j.host || {};
    const on = (j.pcpu || []).filter((p) => p[1] === 1).length;
    const cards = [['Domains', h.domains], ['pCPUs online', on + ' / ' + (j.pcpu || []).length], ['Host busy', fmt.pct(h.busy_pct)],
      ['Power', fmt.w(h.power_watts)], ['Memory used', nn(h.mem_total_bytes) && nn(h.mem_free_bytes) ? fmt.bytes(h.mem_total_bytes - h.mem_free_bytes) : '-'],
      ['Memory total', fmt.bytes(h.mem_total_bytes)]];
    if (S.cfg && nn(S.cfg.power_budget_watts)) cards.push(['Power budget', fmt.w(S.cfg.power_budget_watts)]);
    $('#cards').innerHTML = cards.map((c) => `<div class="card"><div class="k">${c[0]}</div><div class="v">${esc(c[1])}</div></div>`).join('');
    const hh = S.hostHist;
    if (S.powerChart) S.powerChart.setData([hh.map((x) => x[0]), hh.map((x) => x[1]), hh.map((x) => x[2])]);
    updateTable(false);
  }
  function updateTable() {
    const j = S.live; if (!j) return;
    let rows = j.dom || [];
    if (S.filter) rows = rows.filter((d) => d[1].toLowerCase().includes(S.filter));
    const c = S.sort.col, dir = S.sort.asc ? 1 : -1;
    rows = rows.slice().sort((a, b) => {
      const x = a[c], y = b[c];
      if (typeof x === 'string') return dir * x.localeCompare(y);
      const xn = nn(x) ? x : -Infinity, yn = nn(y) ? y : -Infinity;
      return xn === yn ? a[1].localeCompare(b[1]) : dir * (xn - yn);
    });
    S.order = rows;
    $('#dcount').textContent = '(' + rows.length + (S.filter ? ' of ' + (j.dom || []).length : '') + ')';
    $('#dt-spacer').style.height = rows.length * ROW_H + 'px';
    document.querySelectorAll('#dt .hdr span').forEach((s) => {
      const col = COLS[+s.dataset.i][1];
      s.classList.toggle('sorted', col === S.sort.col); s.classList.toggle('asc', col === S.sort.col && S.sort.asc);
    });
    paintRows();
  }
  function paintRows() {
    const body = $('#dt-body'); if (!body) return;
    const first = Math.max(0, Math.floor(body.scrollTop / ROW_H) - 2);
    const count = Math.ceil(body.clientHeight / ROW_H) + 4;
    const spacer = $('#dt-spacer');
    while (S.rows.length < count) {
      const r = document.createElement('div'); r.className = 'row';
      r.innerHTML = COLS.map((c) => c[1] < 0 ? '<canvas class="spark"></canvas>' : `<span class="${c[2] === 'n' ? 'num' : ''}"></span>`).join('');
      spacer.appendChild(r); S.rows.push(r);
    }
    for (let i = 0; i < S.rows.length; i++) {
      const r = S.rows[i], d = S.order[first + i];
      if (!d || i >= count) { r.style.display = 'none'; continue; }
      r.style.display = ''; r.style.top = (first + i) * ROW_H + 'px'; r.dataset.key = d[0];
      const cells = r.children;
      const vals = [d[1], d[2], d[3], fmt.pct(d[4]), fmt.pct(d[5]), null, fmt.bytes(d[6]), fmt.bps(d[7]), fmt.bps(d[8]), fmt.bps(d[9]), fmt.bps(d[10]), fmt.w(d[11])];
      for (let k = 0; k < vals.length; k++) {
        if (k === 5) drawSpark(cells[k], S.spark.get(d[0]));
        else if (cells[k].textContent !== String(vals[k])) cells[k].textContent = vals[k];
      }
      cells[0].title = d[1];
    }
  }

  /* ---- domain page ---- */
  const RANGES = [['10 min', 600], ['1 h', 3600], ['3 h', 10800], ['1 d', 86400], ['7 d', 604800], ['1 y', 31536000]];
  async function renderDomain(key) {
    S.view = 'domain'; S.domKey = key;
    destroyDomCharts();
    $('#view').innerHTML = `<p><a href="#/">← all domains</a></p><div id="dhead"><h1>…</h1></div>
      <div class="toolbar" id="ranges">${RANGES.map((r) => `<button data-r="${r[1]}" class="${r[1] === S.domRange ? 'on' : ''}">${r[0]}</button>`).join('')}
      <span class="muted" id="hsrc"></span></div>
      <div class="grid2"><div class="panel"><div class="chart" id="c-cpu"></div></div><div class="panel"><div class="chart" id="c-net"></div></div>
      <div class="panel"><div class="chart" id="c-blk"></div></div><div class="panel"><div class="chart" id="c-mem"></div></div></div>
      <div class="grid2"><div class="panel" id="dvcpu"></div><div class="panel" id="ddev"></div></div>`;
    $('#ranges').addEventListener('click', (e) => {
      const r = +e.target.dataset.r; if (!r) return; S.domRange = r;
      document.querySelectorAll('#ranges button').forEach((b) => b.classList.toggle('on', +b.dataset.r === r));
      loadDomainHistory();
    });
    try {
      const j = await getJSON('/api/v1/domains/' + encodeURIComponent(key));
      if (S.domKey !== key) return;
      const d = j.domain;
      $('#dhead').innerHTML = `<h1>${esc(d.name)} <span class="badge">${esc(d.state)}</span></h1>
        <p class="muted">uuid ${esc(d.uuid || '-')} · id ${esc(d.id)} · ${d.vcpus} vCPUs · memory ${fmt.bytes(d.mem_bytes)} of ${fmt.bytes(d.maxmem_bytes)}
        ${d.stale ? ' · <span class="err">stale: ' + esc(d.note) + '</span>' : ''}</p>`;
      $('#dvcpu').innerHTML = '<h2>vCPUs</h2><table class="plain"><tr><th>vCPU</th><th>pCPU</th><th class="num">CPU</th><th class="num">Steal</th><th class="num">Time</th></tr>' +
        d.vcpu.map((v) => `<tr><td>${v.id}</td><td>${nn(v.pcpu) ? v.pcpu : '-'}</td><td class="num">${fmt.pct(v.cpu_pct)}</td><td class="num">${fmt.pct(v.steal_pct)}</td><td class="num">${nn(v.time_s) ? v.time_s.toFixed(1) + ' s' : '-'}</td></tr>`).join('') + '</table>';
      $('#ddev').innerHTML = '<h2>Devices</h2><table class="plain"><tr><th>Device</th><th class="num">In / read</th><th class="num">Out / write</th></tr>' +
        d.net.map((n) => `<tr><td>${esc(n.name)}</td><td class="num">${fmt.bps(n.rx_Bps)}</td><td class="num">${fmt.bps(n.tx_Bps)}</td></tr>`).join('') +
        d.blk.map((b) => `<tr><td>${esc(b.name)}</td><td class="num">${fmt.bps(b.rd_Bps)}</td><td class="num">${fmt.bps(b.wr_Bps)}</td></tr>`).join('') + '</table>';
      S.domKeyResolved = d.key;
    } catch (e) {
      $('#dhead').innerHTML = `<h1 class="err">${esc(e.message)}</h1>`; return;
    }
    loadDomainHistory();
  }
  function destroyDomCharts() { for (const c of S.domCharts) c.destroy(); S.domCharts = []; }
  async function loadDomainHistory() {
    const key = S.domKey, range = S.domRange;
    let j;
    try {
      j = await getJSON(`/api/v1/history?id=${encodeURIComponent(key)}&range=${range}`);
    } catch (e) { $('#hsrc').textContent = e.message; return; }
    if (S.domKey !== key || S.domRange !== range) return;
    $('#hsrc').textContent = j.source === 'rrd' ? `RRD, ${j.step} s steps` : 'in-memory, 1 s samples';
    destroyDomCharts();
    const s = j.series, t = j.t;
    S.domSeries = { t: t.slice(), s: JSON.parse(JSON.stringify(s)) };
    const pct = (u, v) => nn(v) ? v.toFixed(0) + '%' : '-', bps = (u, v) => fmt.bps(v), by = (u, v) => fmt.bytes(v);
    S.domCharts.push(makeChart($('#c-cpu'), 'CPU and steal (100% = one pCPU)', [{}, { label: 'CPU', stroke: css('--accent'), value: pct }, { label: 'Steal', stroke: css('--accent2'), value: pct }], [t, s.cpu_pct, s.steal_pct]));
    S.domCharts.push(makeChart($('#c-net'), 'Network', [{}, { label: 'rx', stroke: css('--accent'), value: bps }, { label: 'tx', stroke: css('--accent2'), value: bps }], [t, s.net_rx_Bps, s.net_tx_Bps]));
    S.domCharts.push(makeChart($('#c-blk'), 'Disk', [{}, { label: 'read', stroke: css('--accent'), value: bps }, { label: 'write', stroke: css('--accent2'), value: bps }], [t, s.blk_rd_Bps, s.blk_wr_Bps]));
    S.domCharts.push(makeChart($('#c-mem'), 'Memory and power', [{}, { label: 'memory', stroke: css('--accent'), value: by }, { label: 'W', stroke: css('--warn'), scale: 'w' }], [t, s.mem_bytes, s.watts]));
  }
  function appendDomain(j) {
    const ds = S.domSeries; if (!ds || !S.domCharts.length) return;
    const d = (j.dom || []).find((x) => x[0] === S.domKeyResolved); if (!d) return;
    ds.t.push(j.time);
    const add = { cpu_pct: d[4], steal_pct: d[5], mem_bytes: d[6], net_rx_Bps: d[7], net_tx_Bps: d[8], blk_rd_Bps: d[9], blk_wr_Bps: d[10], watts: d[11] };
    for (const k in add) if (ds.s[k]) ds.s[k].push(add[k]);
    while (ds.t.length && ds.t[0] < j.time - S.domRange) { ds.t.shift(); for (const k in ds.s) ds.s[k].shift(); }
    const s = ds.s, t = ds.t;
    const data = [[t, s.cpu_pct, s.steal_pct], [t, s.net_rx_Bps, s.net_tx_Bps], [t, s.blk_rd_Bps, s.blk_wr_Bps], [t, s.mem_bytes, s.watts]];
    S.domCharts.forEach((c, i) => c.setData(data[i]));
  }

  /* ---- power page ---- */
  async function renderPower() {
    S.view = 'power';
    $('#view').innerHTML = `<h1>Power</h1><div class="grid2"><div class="panel" id="pd-state"><h2>hv-powerd</h2>…</div>
      <div class="panel" id="pd-control"><h2>Control</h2></div></div>
      <div class="panel"><h2>Power daemon journal</h2><div id="pd-journal">…</div></div>
      <div class="panel" style="margin-top:12px"><h2>Physical CPUs</h2><div id="pcpus">…</div></div>`;
    try {
      const p = await getJSON('/api/v1/powerd');
      const st = p.state;
      const badge = p.running === null ? '<span class="badge">no state file</span>'
        : p.running ? '<span class="badge ok">running</span>' : '<span class="badge bad">not running</span>';
      let html = `<h2>hv-powerd ${badge}</h2>`;
      if (st) {
        if (!p.running && (st.held || []).length) html += '<p class="err">A previous run left knobs held; the next start restores them.</p>';
        html += `<p>updated ${esc(st.updated || '-')}${st.dry_run ? ' · <b>dry run</b>' : ''} · package ${fmt.w(st.pkg_watts)} · demand ${nn(st.demand_cpus) ? st.demand_cpus.toFixed(2) + ' CPUs' : '-'}</p>
          <p>parked CPUs: ${esc((st.parked || []).join(', ') || 'none')} · offlined for errors: <span class="${(st.hwerr_offlined || []).length ? 'err' : ''}">${esc((st.hwerr_offlined || []).join(', ') || 'none')}</span></p>`;
        const held = st.held || [];
        html += held.length ? '<table class="plain"><tr><th>held knob</th><th>original</th><th>now</th><th>policy</th></tr>' +
          held.map((h) => `<tr><td>${esc(h.knob)}</td><td>${esc(h.orig)}</td><td>${esc(h.cur)}</td><td>${esc(h.policy)}</td></tr>`).join('') + '</table>'
          : '<p class="muted">No knob held.</p>';
      } else html += `<p class="muted">No state file in ${esc(p.rundir)}.</p>`;
      $('#pd-state').innerHTML = html;
      const rows = (p.journal || []).slice().reverse();
      $('#pd-journal').innerHTML = rows.length ? '<table class="plain"><tr><th>time</th><th>event</th><th>policy</th><th>knob</th><th>change</th><th>reason</th></tr>' + rows.map((e) =>
        `<tr><td>${esc(nn(e.time) ? new Date(e.time * 1000).toISOString() : (e.time || '-'))}</td><td>${esc(e.event || '')}</td><td>${esc(e.policy || '')}</td><td>${esc(e.knob || '')}</td>` +
        `<td>${e.old !== undefined || e.new !== undefined ? esc((e.old ?? '') + ' → ' + (e.new ?? '')) : ''}</td><td style="white-space:normal">${esc(e.reason || e.error || '')}</td></tr>`).join('') + '</table>'
        : '<p class="muted">No journal entries.</p>';
    } catch (e) { $('#pd-state').innerHTML = `<p class="err">${esc(e.message)}</p>`; }
    try {
      const j = await getJSON('/api/v1/pcpus');
      $('#pcpus').innerHTML = '<table class="plain"><tr><th>CPU</th><th>online</th><th>governor</th><th class="num">freq</th><th class="num">busy</th><th class="num">deep idle</th><th>C-states</th></tr>' +
        j.pcpus.map((p) => `<tr><td>${p.id}</td><td>${p.online === 1 ? 'yes' : p.online === 0 ? 'no' : '-'}</td><td>${esc(p.governor || '-')}</td><td class="num">${fmt.hz(p.cur_hz)}</td><td class="num">${fmt.pct(p.busy_pct)}</td><td class="num">${fmt.pct(p.deep_idle_pct)}</td><td>${p.cstates.map((c) => esc(c.name) + ' ' + fmt.pct(c.pct)).join(', ')}</td></tr>`).join('') + '</table>';
    } catch (e) { $('#pcpus').innerHTML = `<p class="err">${esc(e.message)}</p>`; }
    const pc = $('#pd-control');
    if (!S.cfg.control) { pc.innerHTML += '<p class="muted">Read-only: control actions are disabled in the configuration.</p>'; return; }
    pc.innerHTML += `<form class="inline" id="ctl"><label>CPU <input id="ctl-cpu" type="number" min="0" value="1" style="width:5em"></label>
      <select id="ctl-what"><option value="online:1">online</option><option value="online:0">offline</option><option value="governor">governor…</option></select>
      <input id="ctl-gov" placeholder="governor" style="width:9em"><button>Apply</button></form><p id="ctl-msg" class="muted">Changes are journalled; authentication required.</p>`;
    $('#ctl').addEventListener('submit', async (e) => {
      e.preventDefault();
      const cpu = $('#ctl-cpu').value, what = $('#ctl-what').value;
      const body = what === 'governor' ? { knob: `cpu/${cpu}/governor`, value: $('#ctl-gov').value } : { knob: `cpu/${cpu}/online`, value: what.split(':')[1] };
      try {
        const t = await getJSON('/api/v1/csrf');
        const r = await fetch('/api/v1/control', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': t.csrf }, body: JSON.stringify(body) });
        const j = await r.json();
        $('#ctl-msg').textContent = r.ok ? `${j.change.knob}: ${j.change.old} → ${j.change.new}` : j.error.message;
      } catch (err) { $('#ctl-msg').textContent = err.message; }
    });
  }

  /* ---- router ---- */
  function route() {
    const h = location.hash || '#/';
    document.querySelectorAll('header nav a').forEach((a) => a.classList.toggle('active', h === a.getAttribute('href')));
    const m = h.match(/^#\/domain\/(.+)$/);
    if (m) renderDomain(decodeURIComponent(m[1]));
    else if (h === '#/power') renderPower();
    else renderOverview();
  }
  function redrawAll() { route(); }
  let rt; addEventListener('resize', () => { clearTimeout(rt); rt = setTimeout(() => { sizeCharts(S.domCharts); if (S.powerChart) sizeCharts([S.powerChart]); paintRows(); }, 150); });

  function loadScript(src) {
    return new Promise((res) => { const s = document.createElement('script'); s.src = src; s.onload = res; s.onerror = res; document.head.appendChild(s); });
  }
  async function start() {
    applyTheme(localStorage.getItem('hv-theme') || 'auto');
    try { S.cfg = await getJSON('/api/v1/config'); } catch (e) { S.cfg = { control: false, theme: 'auto' }; }
    if (!localStorage.getItem('hv-theme')) applyTheme(S.cfg.theme || 'auto');
    if (S.cfg.uplot) {
      const l = document.createElement('link'); l.rel = 'stylesheet'; l.href = '/uPlot.min.css'; document.head.appendChild(l);
      await loadScript('/uPlot.iife.min.js');
    }
    try { const h = await getJSON('/api/v1/host'); $('#hostname').textContent = h.host.hostname + ' · ' + h.host.backend; } catch (e) { /* shown by status */ }
    try { /* the power chart starts with the last minutes, not empty */
      const hh = await getJSON('/api/v1/history?range=' + HOST_N);
      S.hostHist = hh.t.map((t, i) => [t, hh.series.power_watts[i], hh.series.busy_pct[i]]);
    } catch (e) { /* live updates fill it */ }
    try { await seedFromRing(); } catch (e) { /* live updates fill them */ }
    addEventListener('hashchange', route);
    route();
    connect();
  }
  start();
})();
