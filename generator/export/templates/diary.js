// ------------------------------------------------------------ the practice diary (generator/export/diarypage.py)
// Entries { date, session, minutes, before, after, note } are kept in local storage under the
// pack's key, one per session and day; exported and imported as the CSV `relaxgen diary` reads.
(function () {
  "use strict";
  var section = document.getElementById("diary");
  if (!section) return;
  var pack = JSON.parse(document.getElementById("pack-data").textContent);
  var ui = JSON.parse(document.getElementById("ui-text").textContent);
  var COLUMNS = ["listener", "date", "session", "minutes", "before", "after", "note"];
  var WEEKS = 4, DAYS = 7 * WEEKS;
  var LISTENER = pack.listener || pack.key || pack.title;
  var KEY = "relaxgen:" + (pack.key || pack.title) + ":diary";
  var chart = document.getElementById("d-chart");
  var SVG = chart.namespaceURI;
  var statusEl = document.getElementById("d-status");
  var fileInput = document.getElementById("d-file");
  var store = (function () {
    try {
      var s = window.localStorage, probe = KEY + ":probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
      return s;
    } catch (e) { return null; }
  })();
  var entries = load();

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function isoDay(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function parseDay(s) { var p = s.split("-"); return new Date(+p[0], +p[1] - 1, +p[2]); }
  function addDays(d, n) { var x = new Date(d.getTime()); x.setDate(x.getDate() + n); return x; }
  function isDate(s) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
    var d = parseDay(s);
    return isoDay(d) === s && d.getFullYear() >= 2000 && d.getFullYear() <= 2200;
  }
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? String(values[k]) : m; });
  }
  var fmtDate = window.Intl ? new Intl.DateTimeFormat(document.documentElement.lang || undefined,
    { day: "numeric", month: "short" }) : null;
  function shortDay(s) { return fmtDate ? fmtDate.format(parseDay(s)) : s; }
  function num(x) { return x === null || x === undefined ? "\u2013" : String(Math.round(x * 10) / 10); }

  // ---------------------------------------------------------------- the entries
  function rating(v) {  // "" or null: not given; a whole number 0-10; anything else: undefined
    if (v === null || v === undefined || String(v).trim() === "") return null;
    var s = String(v).trim();
    return /^\d{1,2}$/.test(s) && +s <= 10 ? +s : undefined;
  }
  function clean(e) {  // a well-formed entry, or null
    if (!e || typeof e !== "object" || !isDate(String(e.date)) || !String(e.session || "").trim()) return null;
    var b = rating(e.before), a = rating(e.after), m = Number(e.minutes || 0);
    if (b === undefined || a === undefined || !(m >= 0 && m <= 1440)) return null;
    return { date: String(e.date), session: String(e.session).trim(), minutes: m, before: b, after: a,
             note: String(e.note || "").trim() };
  }
  function load() {
    var d = null;
    if (store) { try { d = JSON.parse(store.getItem(KEY) || "null"); } catch (e) { d = null; } }
    return (d && Array.isArray(d.entries) ? d.entries : []).map(clean).filter(Boolean);
  }
  function save() {
    if (!store) return false;
    try { store.setItem(KEY, JSON.stringify({ listener: LISTENER, entries: entries })); return true; }
    catch (e) { return false; }  // full or blocked: the entries stay for this visit
  }
  function find(date, session) {
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].date === date && entries[i].session === session) return i;
    }
    return -1;
  }
  function same(a, b) {
    return a.minutes === b.minutes && a.before === b.before && a.after === b.after && a.note === b.note;
  }

  // ---------------------------------------------------------------- one row per session
  var rows = pack.tracks.map(function (t, i) {
    var get = function (k) { return document.getElementById("d-" + k + "-" + i); };
    return { i: i, track: t, el: document.getElementById("d-row-" + i), date: get("date"),
             before: get("before"), after: get("after"), note: get("note"),
             state: document.getElementById("d-row-" + i).querySelector(".d-state") };
  });
  function minutesOf(t) { return Math.max(0.1, Math.round(t.duration_s / 6) / 10); }
  // the date the session was last played when that day has no entry yet, else today
  function defaultDate(r) {
    var today = isoDay(new Date()), played = null;
    try {
      var st = window.relaxgenPlayer && window.relaxgenPlayer.state();
      played = st && st.tracks[r.track.file] && st.tracks[r.track.file].played;
    } catch (e) { played = null; }
    return played && isDate(played) && played < today && find(played, r.track.title) < 0 ? played : today;
  }
  function showRow(r) {
    if (!isDate(r.date.value)) r.date.value = defaultDate(r);
    var k = find(r.date.value, r.track.title), e = k >= 0 ? entries[k] : null;
    r.before.value = e && e.before !== null ? String(e.before) : "";
    r.after.value = e && e.after !== null ? String(e.after) : "";
    r.note.value = e ? e.note : "";
    [r.before, r.after].forEach(function (x) { x.removeAttribute("aria-invalid"); });
    r.state.textContent = "";
    r.state.classList.remove("bad");
  }
  function fieldValue(input) {
    if (input.validity && input.validity.badInput) return undefined;
    return rating(input.value);
  }
  function edit(r) {
    var b = fieldValue(r.before), a = fieldValue(r.after), bad = false;
    [[r.before, b], [r.after, a]].forEach(function (p) {
      if (p[1] === undefined) { p[0].setAttribute("aria-invalid", "true"); bad = true; }
      else p[0].removeAttribute("aria-invalid");
    });
    if (bad) { r.state.textContent = ui.d_range; r.state.classList.add("bad"); return; }
    if (!isDate(r.date.value)) r.date.value = defaultDate(r);
    var e = { date: r.date.value, session: r.track.title, minutes: minutesOf(r.track), before: b, after: a,
              note: r.note.value.trim() };
    var k = find(e.date, e.session);
    if (e.before === null && e.after === null && !e.note) { if (k >= 0) entries.splice(k, 1); }
    else if (k >= 0) { e.minutes = entries[k].minutes; entries[k] = e; }
    else entries.push(e);
    var kept = save();
    r.state.classList.remove("bad");
    r.state.textContent = kept ? ui.d_saved : "";
    draw();
  }
  rows.forEach(function (r) {
    showRow(r);
    [r.before, r.after, r.note].forEach(function (x) { x.addEventListener("input", function () { edit(r); }); });
    r.date.addEventListener("change", function () { showRow(r); });
  });
  // another page of this pack (a second tab) changed the diary: show what it kept, so that this
  // page's next edit does not write its older entries over it (a row being typed in stays)
  function showAll() {
    rows.forEach(function (r) { if (!r.el.contains(document.activeElement)) showRow(r); });
    draw();
  }
  function reread() { entries = load(); showAll(); }
  window.addEventListener("storage", function (ev) { if (ev.key === KEY || ev.key === null) reread(); });
  window.addEventListener("pageshow", function (ev) { if (ev.persisted) reread(); });
  document.addEventListener("relaxgen:done", function (ev) {
    var r = rows[ev.detail.index];
    if (!r || r.el.contains(document.activeElement)) return;
    r.date.value = ev.detail.date;
    showRow(r);
  });

  // ---------------------------------------------------------------- the chart (inline SVG)
  function node(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function mean(xs) { return xs.length ? xs.reduce(function (s, x) { return s + x; }, 0) / xs.length : null; }
  function summary() {  // the last four calendar weeks (Monday first), today's included
    var today = parseDay(isoDay(new Date()));
    var start = addDays(today, -((today.getDay() + 6) % 7) - 7 * (WEEKS - 1));
    var days = [], weeks = [];
    for (var w = 0; w < WEEKS; w++) weeks.push({ start: isoDay(addDays(start, 7 * w)), minutes: 0 });
    for (var k = 0; k < DAYS; k++) {
      var iso = isoDay(addDays(start, k));
      var es = entries.filter(function (e) { return e.date === iso; });
      var m = es.reduce(function (s, e) { return s + e.minutes; }, 0);
      weeks[Math.floor(k / 7)].minutes += m;
      days.push({ date: iso, n: es.length, minutes: m,
        before: mean(es.filter(function (e) { return e.before !== null; }).map(function (e) { return e.before; })),
        after: mean(es.filter(function (e) { return e.after !== null; }).map(function (e) { return e.after; })) });
    }
    return { days: days, weeks: weeks };
  }
  var L = 40, R = 628, T = 40, B = 172, BT = 194, BB = 250;
  function x(k) { return L + (k + 0.5) * (R - L) / DAYS; }
  function y(v) { return B - v / 10 * (B - T); }
  function series(s, which, g) {
    var pts = [];
    s.days.forEach(function (d, k) { if (d[which] !== null) pts.push([k, d[which], d.date]); });
    if (pts.length > 1) {
      g.appendChild(node("polyline", { "class": "c-line c-" + which,
        points: pts.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join(" ") }));
    }
    pts.forEach(function (p) {
      var attrs = { "class": "d-" + which, "data-date": p[2], "data-value": num(p[1]) };
      var m = which === "before" ? node("circle", Object.assign(attrs, { cx: x(p[0]), cy: y(p[1]), r: 4.5 }))
        : node("rect", Object.assign(attrs, { x: x(p[0]) - 4.5, y: y(p[1]) - 4.5, width: 9, height: 9 }));
      m.appendChild(node("title", {}, shortDay(p[2]) + ": " + ui["d_" + which] + " " + num(p[1])));
      g.appendChild(m);
    });
  }
  function legend(g) {  // in the chart already, so each label's width can be measured
    var x0 = L + 4;
    ["before", "after", "week"].forEach(function (k) {
      if (k === "week") g.appendChild(node("rect", { "class": "m-week", x: x0 + 8, y: 9, width: 16, height: 14 }));
      else {
        g.appendChild(node("line", { "class": "c-line c-" + k, x1: x0, x2: x0 + 32, y1: 16, y2: 16 }));
        g.appendChild(k === "before" ? node("circle", { "class": "m-before", cx: x0 + 16, cy: 16, r: 4.5 })
          : node("rect", { "class": "m-after", x: x0 + 11.5, y: 11.5, width: 9, height: 9 }));
      }
      var label = k === "week" ? ui.d_minutes_week : ui["d_" + k], t = node("text", { x: x0 + 40, y: 21 }, label);
      g.appendChild(t);
      var w = 0;
      try { w = t.getComputedTextLength(); } catch (e) { w = 0; }
      x0 += 40 + (w || label.length * 7.5) + 24;
    });
  }
  function draw() {
    var s = summary(), top = Math.max.apply(null, s.weeks.map(function (w) { return w.minutes; }).concat([1]));
    chart.textContent = "";
    var lg = node("g", { "class": "c-legend", "aria-hidden": "true" });
    chart.appendChild(lg);
    legend(lg);
    chart.appendChild(node("rect", { "class": "c-bg", x: L, y: T, width: R - L, height: B - T }));
    [0, 2, 4, 6, 8, 10].forEach(function (v) {
      chart.appendChild(node("line", { "class": "c-grid", x1: L, x2: R, y1: y(v), y2: y(v) }));
      chart.appendChild(node("text", { x: L - 8, y: y(v) + 4, "text-anchor": "end" }, String(v)));
    });
    s.weeks.forEach(function (w, i) {
      var x0 = L + i * 7 * (R - L) / DAYS, wd = 7 * (R - L) / DAYS;
      if (i) chart.appendChild(node("line", { "class": "c-sep", x1: x0, x2: x0, y1: T, y2: BB }));
      var h = w.minutes / top * (BB - BT - 16);
      var bar = node("rect", { "class": "d-week", x: x0 + 6, y: BB - h, width: wd - 12, height: Math.max(h, 0.5),
                               "data-week": w.start, "data-value": num(w.minutes) });
      bar.appendChild(node("title", {}, ui.d_week + " " + shortDay(w.start) + ": " + num(w.minutes) + " " + ui.d_min));
      chart.appendChild(bar);
      chart.appendChild(node("text", { "class": "d-week-n", x: x0 + wd / 2, y: BB - h - 4, "text-anchor": "middle" },
                             num(w.minutes) + " " + ui.d_min));
      chart.appendChild(node("text", { x: x0 + wd / 2, y: BB + 20, "text-anchor": "middle" },
                             ui.d_week + " " + shortDay(w.start)));
    });
    var g = node("g", {});
    series(s, "after", g);  // before's filled circle shows inside after's open square
    series(s, "before", g);
    chart.appendChild(g);
    var last = isoDay(addDays(parseDay(s.weeks[0].start), DAYS - 1));
    chart.setAttribute("aria-label", fill(ui.d_chart_label, { from: shortDay(s.weeks[0].start), to: shortDay(last) }));
    chart.parentNode.scrollLeft = chart.parentNode.scrollWidth;  // a narrow screen shows this week first
    var any = s.days.some(function (d) { return d.n > 0; });
    document.getElementById("d-chart-empty").hidden = any;
    table(s);
  }
  function table(s) {  // the chart's text alternative
    var days = document.querySelector("#d-days tbody"), weeks = document.querySelector("#d-weeks tbody");
    days.textContent = "";
    weeks.textContent = "";
    function tr(body, cells) {
      var row = document.createElement("tr");
      cells.forEach(function (c) { var td = document.createElement("td"); td.textContent = c; row.appendChild(td); });
      body.appendChild(row);
    }
    s.days.forEach(function (d) { if (d.n) tr(days, [shortDay(d.date), num(d.before), num(d.after), num(d.minutes)]); });
    s.weeks.forEach(function (w) { tr(weeks, [shortDay(w.start), num(w.minutes)]); });
  }

  // ---------------------------------------------------------------- export and import (CSV)
  function cell(v) {
    var t = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(t) || t !== t.trim() ? '"' + t.replace(/"/g, '""') + '"' : t;
  }
  function toCsv() {
    var sorted = entries.slice().sort(function (a, b) {
      return a.date < b.date ? -1 : a.date > b.date ? 1 : a.session < b.session ? -1 : a.session > b.session ? 1 : 0;
    });
    return [COLUMNS.join(",")].concat(sorted.map(function (e) {
      return [LISTENER, e.date, e.session, e.minutes, e.before, e.after, e.note].map(cell).join(",");
    })).join("\r\n") + "\r\n";
  }
  function parseCsv(text) {  // RFC 4180: quoted cells may hold commas, quotes ("") and line breaks
    var out = [], row = [], cur = "", q = false, i = 0, c;
    for (; i < text.length; i++) {
      c = text[i];
      if (q) {
        if (c === '"' && text[i + 1] === '"') { cur += '"'; i++; }
        else if (c === '"') q = false;
        else cur += c;
      } else if (c === '"' && cur === "") q = true;
      else if (c === ",") { row.push(cur); cur = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(cur); out.push(row); row = []; cur = "";
      } else cur += c;
    }
    if (q) throw new Error("quote");
    if (cur !== "" || row.length) { row.push(cur); out.push(row); }
    return out;
  }
  function say(text) { statusEl.textContent = text; }
  function refuse(why) { say(fill(ui.d_import_bad, { why: why })); }
  function read(text) {
    var table;
    try { table = parseCsv(text); } catch (e) { return refuse(fill(ui.d_bad_row, { n: "?" })); }
    var head = (table.shift() || []).map(function (h) { return h.trim(); });
    var ok = head.length === COLUMNS.length && COLUMNS.every(function (c) { return head.indexOf(c) >= 0; });
    if (!ok) return refuse(ui.d_bad_header);
    var found = [];
    for (var n = 0; n < table.length; n++) {
      var cells = table[n];
      if (!cells.some(function (c) { return c.trim(); })) continue;
      var rec = {};
      head.forEach(function (h, k) { rec[h] = cells[k]; });
      var e = cells.length === head.length ? clean(rec) : null;
      if (!e || !String(rec.listener || "").trim()) return refuse(fill(ui.d_bad_row, { n: n + 2 }));
      if (rec.listener.trim() !== String(LISTENER)) return refuse(fill(ui.d_other, { who: rec.listener.trim() }));
      found.push(e);
    }
    if (!found.length) return refuse(ui.d_no_rows);
    var added = 0, updated = 0, kept = 0;
    found.forEach(function (e) {
      var k = find(e.date, e.session);
      if (k < 0) { entries.push(e); added++; }
      else if (same(entries[k], e)) kept++;
      else { entries[k] = e; updated++; }
    });
    save();
    showAll();
    say(fill(ui.d_imported, { n: added, m: updated, k: kept }));
  }
  document.getElementById("d-export").addEventListener("click", function () {
    if (!entries.length) { say(ui.d_nothing); return; }
    var blob = new Blob([toCsv()], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a"), href = URL.createObjectURL(blob);
    a.href = href;
    a.download = "diary-" + String(LISTENER).replace(/[\\/:*?"<>|\s]+/g, "-") + "-" + isoDay(new Date()) + ".csv";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(href); }, 60000);
    say(fill(ui.d_exported, { n: entries.length }));
  });
  document.getElementById("d-import").addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    var f = fileInput.files && fileInput.files[0];
    if (!f) return;
    var reader = new FileReader();
    reader.onload = function () {
      fileInput.value = "";
      var text;
      try { text = new TextDecoder("utf-8", { fatal: true }).decode(reader.result); }
      catch (e) { return refuse(ui.d_not_utf8); }
      read(text);
    };
    reader.onerror = function () { fileInput.value = ""; refuse(ui.d_not_utf8); };
    reader.readAsArrayBuffer(f);
  });

  if (!store) document.getElementById("d-store").textContent = ui.d_no_storage;
  section.hidden = false;
  draw();
  window.relaxgenDiary = {
    entries: function () { return JSON.parse(JSON.stringify(entries)); }, remembers: !!store, csv: toCsv
  };
})();
