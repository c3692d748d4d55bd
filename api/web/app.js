// 議員サーチ: the search page. Plain ES module, no build step; it only talks to the JSON API.
// Routes (history API): /?q=…  ·  /members/{id}?q=…  ·  /assemblies/{code}?q=…

const MAX_CHARS = 2000; // description of POST /v1/match (api.schemas.MatchRequest)
const SEARCH_LIMIT = 20;
const TIMELINE_PAGE = 20;
const CHART_MAX = 500; // statements fetched to count per meeting date (dates only are shown)
const FILTER_KEYS = ["q", "assembly", "party", "since", "until", "on"];

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- helpers

/** Create an element: h("a", {href, class: "x"}, "text", child). Text is always set as text, never HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** Fetch JSON from the API; every error becomes an ApiError carrying the API's `error` message. */
async function api(path, options = {}) {
  let res;
  try {
    res = await fetch(path, { headers: { Accept: "application/json", ...(options.headers || {}) }, ...options });
  } catch {
    throw new ApiError("サーバーに接続できませんでした。ネットワークを確認して、もう一度お試しください。", 0);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok || (body && body.ok === false)) {
    const status = (body && body.status) || res.status;
    throw new ApiError((body && body.error) || `HTTP ${status}`, status);
  }
  return body;
}

const query = (params) => {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) sp.append(k, v);
  return sp.toString();
};

function formatDate(iso) {
  if (!iso) return "日付不明";
  const [y, m, d] = iso.split("-").map(Number);
  return `${y}年${m}月${d}日`;
}

// Words too generic to be worth highlighting when they come from a long description.
const GENERIC = new Set(["状況", "確認", "対応", "提供", "利用", "活用", "実現", "可能", "必要", "場合", "事業", "サービス", "システム"]);

/** Query words worth highlighting, plus the labels of policy topics the API read from the description.
 *  The words are the API's `terms` (what search matched, as written, with normalized forms: ごみ, IoT,
 *  見守り, 子ども/子供) when the response has them, else runs of kanji / katakana / latin of the query. */
function termsOf(q, topics = [], apiTerms = null) {
  const words = apiTerms || (q || "").match(/[\p{sc=Han}\p{sc=Katakana}ー々A-Za-z0-9Ａ-Ｚａ-ｚ０-９]{2,}/gu) || [];
  const long = (q || "").length > 20;
  const all = [...words.filter((w) => !(long && GENERIC.has(w))), ...topics.map((t) => t.label).filter(Boolean)];
  return [...new Set(all)].sort((a, b) => b.length - a.length).slice(0, 20);
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A window of `size` characters around the first query word, with … where text was cut. */
function excerpt(text, terms, size = 160) {
  const flat = (text || "").replace(/\s+/g, " ").trim();
  if (flat.length <= size) return flat;
  let at = -1;
  for (const t of terms) {
    const i = flat.indexOf(t);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  let start = 0;
  if (at > size * 0.6) { // the word is far in: start at the sentence holding it (or a little before it)
    const stop = flat.lastIndexOf("。", at);
    start = stop >= 0 && at - stop < size / 2 ? stop + 1 : at - Math.floor(size / 4);
    start = Math.max(0, Math.min(start, flat.length - size));
  }
  return (start > 0 ? "…" : "") + flat.slice(start, start + size) + (start + size < flat.length ? "…" : "");
}

/** Text with query words wrapped in <mark>, as DOM nodes. */
function highlighted(text, terms) {
  if (!terms.length) return [text];
  const re = new RegExp(`(${terms.map(escapeRe).join("|")})`, "g");
  return text.split(re).map((part, i) => (i % 2 ? h("mark", {}, part) : part));
}

function sourceLink(st, label = "出典") {
  return h("a", { href: st.source_url, target: "_blank", rel: "noopener", class: "source" },
    `${label}: ${st.meeting_title}`, h("span", { class: "visually-hidden" }, "（新しいタブで開きます）"));
}

/** A link that leaves the site: new tab, no opener, no referrer. */
function externalLink(href, text, attrs = {}) {
  return h("a", { href, target: "_blank", rel: "noopener noreferrer", ...attrs },
    text, h("span", { class: "visually-hidden" }, "（新しいタブで開きます）"));
}

/** Only http(s) URLs become links (the API's URLs come from crawled pages). */
const isWebUrl = (url) => typeof url === "string" && /^https?:\/\//i.test(url);

function setStatus(el, kind, message, hint) {
  el.replaceChildren();
  el.className = `status ${kind || ""}`;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
  if (!message) return;
  if (kind === "loading") el.append(h("span", { class: "spinner", "aria-hidden": "true" }));
  el.append(h("p", { class: "message" }, message));
  if (hint) el.append(h("p", { class: "hint" }, hint));
}

function errorHint(e) {
  const long = /(\d+) characters; at most (\d+)/.exec(e.message);
  if (long) return `入力が長すぎます（${long[1]}字）。${long[2]}字以内に短くしてください。`;
  if (/is after until/.test(e.message)) return "開始日が終了日より後になっています。期間を指定し直してください。";
  if (e.status === 404) return "指定された議員・議会・トピックは見つかりませんでした。URL を確かめるか、トップページから検索してください。";
  if (e.status === 422) return "入力内容や期間の指定を確かめてください。";
  if (e.status === 429) return "短い時間に検索が集中しました。少し待ってから、もう一度お試しください。";
  if (e.status >= 500 || e.status === 0) return "時間をおいて、もう一度お試しください。";
  return null;
}

const errorText = (e) => (e instanceof ApiError && e.status ? `エラー（${e.status}）: ${e.message}` : `エラー: ${e.message}`);

// ---------------------------------------------------------------- search backend: POST /v1/match

// The page sends the user's words as a solution description: match reads topics out of it and
// explains each member with a reason line, which a plain keyword search cannot.
function searchMembers(f) {
  const body = { description: f.q };
  if (f.assembly) body.assemblies = [f.assembly];
  if (f.since) body.since = f.since;
  if (f.until) body.until = f.until;
  if (f.party) body.party = f.party; // same ranking, only that 会派's members
  if (f.on) body.on = f.on; // the session day: that day's questioners first, then ±7 days (index/session_day.py)
  body.limit = SEARCH_LIMIT;
  return api("/v1/match", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

// ---------------------------------------------------------------- assemblies (filter options, assembly page)

let assembliesPromise = null;
function assemblies() {
  assembliesPromise ??= api("/v1/assemblies").then((b) => b.data).catch(() => []);
  return assembliesPromise;
}

async function fillAssemblySelect() {
  const select = $("assembly");
  const wanted = select.dataset.wanted ?? select.value;
  for (const a of await assemblies()) {
    if (select.querySelector(`option[value="${a.assembly_code}"]`)) continue;
    select.append(h("option", { value: a.assembly_code }, a.prefecture && !a.name.startsWith(a.prefecture) ? `${a.prefecture} ${a.name}` : a.name));
  }
  select.value = wanted;
  await fillPartySelect();
}

// The 会派 of the chosen assembly (of every assembly when none is chosen), largest first.
async function fillPartySelect() {
  const select = $("party");
  const fromUrl = select.dataset.wanted;
  const wanted = fromUrl ?? select.value;
  const code = $("assembly").value;
  const counts = new Map();
  for (const a of await assemblies()) {
    if (code && a.assembly_code !== code) continue;
    for (const p of a.parties || []) counts.set(p.name, (counts.get(p.name) || 0) + p.members);
  }
  const options = [...counts].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0], "ja"));
  select.replaceChildren(h("option", { value: "" }, "すべての会派"),
    ...options.map(([name, n]) => h("option", { value: name }, `${name}（${n}人）`)));
  // A 会派 given in the URL that the list lacks (typed by hand: a part of a name) stays selected;
  // one chosen here that the newly chosen assembly lacks goes back to every 会派.
  if (wanted && !counts.has(wanted) && fromUrl) select.append(h("option", { value: wanted }, wanted));
  select.value = counts.has(wanted) || fromUrl ? wanted : "";
  delete select.dataset.wanted;
}

// ---------------------------------------------------------------- routing

let currentFilters = {};
const filtersFrom = (params) => Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) || ""]));
const withFilters = (path, f = currentFilters) => {
  const qs = query(Object.fromEntries(FILTER_KEYS.map((k) => [k, f[k]])));
  return qs ? `${path}?${qs}` : path;
};

function showView(id) {
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== id;
  for (const a of document.querySelectorAll("[data-back]")) a.href = withFilters("/");
}

function navigate(url) {
  history.pushState(null, "", url);
  route();
  window.scrollTo(0, 0);
}

function route() {
  const params = new URLSearchParams(location.search);
  currentFilters = filtersFrom(params);
  let m;
  if ((m = location.pathname.match(/^\/members\/([^/]+)\/?$/))) showMember(decodeURIComponent(m[1]));
  else if ((m = location.pathname.match(/^\/assemblies\/([^/]+)\/?$/))) showAssembly(decodeURIComponent(m[1]));
  else showSearch();
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-nav]");
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", route);

// ---------------------------------------------------------------- search view

let lastResult = null; // {filters, body} of the list on screen, for CSV
let searchToken = 0;

function showSearch() {
  showView("view-search");
  document.title = currentFilters.q ? `「${currentFilters.q.slice(0, 30)}」の検索結果 — 議員サーチ` : "議員サーチ — 課題に取り組む議員を会議録から探す";
  $("q").value = currentFilters.q;
  $("since").value = currentFilters.since;
  $("until").value = currentFilters.until;
  $("on").value = currentFilters.on;
  $("assembly").dataset.wanted = currentFilters.assembly;
  $("assembly").value = currentFilters.assembly;
  $("party").dataset.wanted = currentFilters.party;
  fillPartySelect();
  updateCounter();
  if (currentFilters.q.trim()) runSearch(currentFilters);
  else {
    $("results").hidden = true;
    setStatus($("search-status"));
  }
}

function updateCounter() {
  const n = $("q").value.length;
  const el = $("q-count");
  el.textContent = `${n} / ${MAX_CHARS}字 ・ Ctrl+Enter でも検索できます`;
  el.classList.toggle("over", n > MAX_CHARS);
}

async function runSearch(f) {
  const token = ++searchToken;
  const status = $("search-status");
  const button = $("search-button");
  button.disabled = true;
  $("results").setAttribute("aria-busy", "true");
  setStatus(status, "loading", "会議録から議員を探しています…");
  try {
    const body = await searchMembers(f);
    if (token !== searchToken) return;
    renderResults(f, body);
  } catch (e) {
    if (token !== searchToken) return;
    $("results").hidden = true;
    lastResult = null;
    setStatus(status, "error", errorText(e), errorHint(e));
  } finally {
    if (token === searchToken) {
      button.disabled = false;
      $("results").removeAttribute("aria-busy");
    }
  }
}

function renderResults(f, body) {
  const list = $("member-list");
  const members = body.data || [];
  list.replaceChildren();
  lastResult = { filters: f, body };
  if (!members.length) {
    $("results").hidden = true;
    // Nothing to search with (only numerals, particles or symbols): say so instead of "nothing found".
    if (Array.isArray(body.terms) && !body.terms.length && !(body.topics || []).length) {
      setStatus($("search-status"), "empty", "検索に使える語を読み取れませんでした",
        "数字（「2020年」）・助詞・記号だけの語は検索に使いません。課題や政策の言葉（例:「0歳児保育」「待機児童ゼロ」「ごみの分別」）で試してください。");
      return;
    }
    setStatus($("search-status"), "empty", "該当する発言が見つかりませんでした",
      "ヒント: 別の言い方（例:「病児保育」「産後ケア」「子育て支援」）や短いキーワードで試してください。議会や期間の絞り込みを外すと見つかることがあります。");
    return;
  }
  setStatus($("search-status"));
  const terms = termsOf(f.q, body.topics || [], body.terms);
  const offset = body.offset || 0;
  // Topics of the description that members did raise: a card that matches none of them ranks on
  // nearby wording only, and says so.
  const found = (body.topics || []).filter((t) => t.passages !== 0).map((t) => t.label);
  members.forEach((m, i) => list.append(memberCard(m, offset + i + 1, terms, found)));
  $("results-title").textContent = `課題に取り組んでいる議員 ${members.length}人`;
  const topics = $("result-topics");
  topics.hidden = !(body.topics && body.topics.length);
  const all = body.topics || [];
  const labelOf = (id) => (all.find((t) => t.topic_id === id) || {}).label || id;
  const missing = all.filter((t) => t.passages === 0).map((t) => t.label);
  // Parents searched in place of a missing topic (病児保育 → 子育て), as the API marks them.
  const standIns = all.filter((t) => t.fallback_for);
  topics.replaceChildren(...(topics.hidden ? [] : [
    "説明から読み取った政策トピック:",
    ...all.map((t) => h("span", { class: t.passages === 0 ? "chip none" : t.fallback_for ? "chip fallback" : "chip" },
      t.passages == null ? t.label
        : `${t.label}（${t.passages ? `${t.passages}件` : "発言なし"}${t.fallback_for ? `・「${labelOf(t.fallback_for)}」の代わり` : ""}）`)),
    // Say it plainly: the ranking then rests on the wider topic, or on the other topics and the description's words.
    missing.length ? h("span", { class: "hint" }, `${missing.join("、")}を取り上げた議員の発言は、検索した議会・期間の会議録に見つかりませんでした。` +
      (standIns.length ? `上位のトピック（${standIns.map((t) => t.label).join("、")}）に取り組む議員を代わりに探しています。`
        : "ほかのトピックと説明の言葉で並べています。")) : null,
  ].filter((c) => c)));
  $("results").hidden = false;
  $("results-title").focus({ preventScroll: false });
}

function scoreParts(m) {
  const p = m.parts || {};
  const rel = Math.max(0, Math.min(1, p.relative ?? 0));
  const parts = [
    ["focus", "本人の質問", p.focus || 0],
    ["speech", "発言全体", p.speech || 0],
    ["answers", "執行部答弁", p.answers || 0],
    ["breadth", "取り上げた会議数", p.breadth || 0],
  ];
  if ((p.posts || 0) > 0) parts.push(["posts", "ブログ", p.posts]); // the member's own blog/site posts, only when they count
  if ((p.topic || 0) > 0) parts.push(["topic", "政策トピック", p.topic]); // match: a question on the description's topics
  const total = parts.reduce((n, [, , v]) => n + v, 0) || 1;
  const label = `相対スコア ${Math.round(rel * 100)}%（` + parts.map(([, n, v]) => `${n} ${v.toFixed(2)}`).join("、") + "）";
  const bar = h("div", { class: "scorebar", role: "img", "aria-label": label },
    h("div", { class: "scorebar-fill", style: `width:${(rel * 100).toFixed(1)}%` },
      parts.map(([k, , v]) => (v > 0 ? h("span", { class: `seg ${k}`, style: `width:${((v / total) * 100).toFixed(1)}%` }) : null))));
  const legend = h("ul", { class: "legend", "aria-hidden": "true" },
    parts.map(([k, n, v]) => h("li", {}, h("span", { class: `swatch ${k}` }), `${n} `, h("b", {}, v.toFixed(2)))));
  return h("div", { class: "score" },
    h("div", { class: "score-line" }, h("span", { class: "score-num" }, `スコア ${m.score.toFixed(2)}`), bar,
      h("span", { class: "score-rel" }, `${Math.round(rel * 100)}%`)), legend);
}

/** The passage's question heading (shown in bold) and its text without the heading repeated at its start. */
function headingAndText(st, terms, size) {
  const heading = (st.heading || "").trim();
  let text = (st.text || "").trim();
  if (heading && text.startsWith(heading)) text = text.slice(heading.length).trim();
  return [
    heading ? h("p", { class: "quote-heading" }, highlighted(excerpt(heading, terms, 80), terms)) : null,
    text ? h("p", { class: "quote-text" }, highlighted(excerpt(text, terms, size), terms)) : null,
  ];
}

function quote(st, terms, size, extra) {
  return h("blockquote", { class: "quote" },
    headingAndText(st, terms, size),
    h("footer", { class: "quote-meta" },
      extra, h("span", {}, formatDate(st.date)), h("span", {}, st.committee || st.meeting_kind), sourceLink(st)));
}

function speakerOf(st) {
  return [st.speaker_role, st.speaker].filter(Boolean).join(" ") || "執行部";
}

function memberCard(m, rank, terms, queryTopics = []) {
  const memberHref = withFilters(`/members/${encodeURIComponent(m.member_id)}`);
  // Consecutive passages under the same question heading: show the heading once.
  const evidence = (m.evidence || []).slice(0, 3)
    .map((ev, i, all) => (i && ev.heading && ev.heading === all[i - 1].heading ? { ...ev, heading: null } : ev));
  const shown = new Set(evidence.map((e) => e.statement_id));
  const answersFor = (id) => (m.answers || []).filter((a) => a.answers_statement_id === id);
  const orphanAnswers = (m.answers || []).filter((a) => !shown.has(a.answers_statement_id)).slice(0, 1);
  // An answer to a question not quoted above (`other`) says so and is set apart, so it is not read
  // as the answer to the last quote.
  const answerBlock = (a, other = false) => h("div", { class: other ? "answer answer-other" : "answer" },
    h("p", { class: "answer-label" }, `${other ? `${m.name}議員の別の質問への` : ""}執行部の答弁 — ${speakerOf(a)}`),
    quote(a, terms, 120));
  const span = m.first_date && m.last_date ? `${formatDate(m.first_date)}〜${formatDate(m.last_date)}` : null;
  return h("li", { class: "card" },
    h("div", { class: "card-head" },
      h("span", { class: "rank", "aria-hidden": "true" }, rank),
      h("div", {},
        h("h3", { class: "member-name" }, h("span", { class: "visually-hidden" }, `${rank}位 `),
          h("a", { href: memberHref, "data-nav": true }, m.name)),
        h("p", { class: "member-sub" },
          h("a", { href: withFilters(`/assemblies/${encodeURIComponent(m.assembly_code)}`), "data-nav": true }, m.assembly_name),
          m.party ? h("span", { class: "party" }, ` ・ ${m.party}`) : "",
          ` ・ 関連する発言 ${m.matched_passages}段落／${m.meetings}会議`, span ? ` ・ 発言記録 ${span}` : ""))),
    m.led_on ? h("p", { class: "led-on" }, `${formatDate(m.led_on)}に取り上げた議員（その日の発言で先頭に並べています）`) : null,
    m.reason ? h("p", { class: "reason" }, m.reason) : null,
    queryTopics.length && !(m.matched_topics || []).length
      ? h("p", { class: "weak-note" }, `関連は弱めです: この議員の発言は${queryTopics.map((t) => `「${t}」`).join("")}${queryTopics.length > 1 ? "のどれも" : "を"}取り上げておらず、説明の言葉に近い発言で並んでいます。`)
      : null,
    m.matched_topics && m.matched_topics.length
      ? h("p", { class: "chips" }, h("span", { class: "visually-hidden" }, "一致した政策トピック: "), m.matched_topics.map((t) => h("span", { class: "chip" }, t.label)))
      : null,
    scoreParts(m),
    h("h4", { class: "evidence-title" }, "根拠となる発言"),
    h("ol", { class: "evidence" },
      evidence.map((ev) => h("li", {}, quote(ev, terms, 180), answersFor(ev.statement_id).slice(0, 1).map((a) => answerBlock(a))))),
    orphanAnswers.map((a) => answerBlock(a, true)),
    postsBlock(m.posts || [], terms));
}

/** 「ブログ・サイトでも発信」: the member's own posts on the same issue, kept apart from the minutes evidence. */
function postsBlock(posts, terms) {
  if (!posts.length) return null;
  return h("aside", { class: "card-posts", "aria-label": "本人のブログ・サイトの投稿（会議録ではありません）" },
    h("h4", { class: "card-posts-title" }, "ブログ・サイトでも発信"),
    h("p", { class: "card-posts-note" }, "議員本人のブログ・サイトの投稿です（会議録ではありません）。"),
    h("ul", { class: "card-posts-list" }, posts.slice(0, 2).map((st) => h("li", { class: "card-post" },
      h("p", { class: "card-post-head" },
        isWebUrl(st.source_url) ? externalLink(st.source_url, st.meeting_title || "（無題の投稿）", { class: "post-title" })
          : h("span", { class: "post-title" }, st.meeting_title || "（無題の投稿）"),
        h("span", { class: "post-date" }, formatDate(st.date))),
      st.text ? h("p", { class: "card-post-text" }, highlighted(excerpt(st.text, terms, 120), terms)) : null))));
}

// ---------------------------------------------------------------- CSV (client-side, UTF-8 with BOM for Excel)

function csvCell(value) {
  let s = String(value ?? "");
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`; // keep spreadsheets from treating text as a formula
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function membersCsv(body) {
  const rows = [["順位", "議員", "議会", "スコア", "一致した政策トピック", "根拠(会議・日付・URL)", "ブログ投稿(URL)", "指定日に発言", "会派"]];
  (body.data || []).forEach((m, i) => {
    const evidence = new Set((m.evidence || []).map((ev) => `${ev.meeting_title}・${ev.date || "日付不明"}・${ev.source_url}`));
    const posts = new Set((m.posts || []).map((p) => p.source_url).filter(Boolean));
    const topics = (m.matched_topics || []).map((t) => t.label).join("、");
    rows.push([(body.offset || 0) + i + 1, m.name, m.assembly_name, m.score.toFixed(3), topics, [...evidence].join("\n"), [...posts].join("\n"),
      m.led_on || "", m.party || ""]);
  });
  return "\uFEFF" + rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

function downloadCsv() {
  if (!lastResult) return;
  const blob = new Blob([membersCsv(lastResult.body)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const stamp = new Date().toISOString().slice(0, 10).replace(/-/g, "");
  const topic = lastResult.filters.q.replace(/[\\/:*?"<>|\s、。，．]+/g, "_").slice(0, 20);
  const a = h("a", { href: url, download: `議員サーチ_${topic}_${stamp}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- member page

let memberToken = 0;
let timeline = null; // {id, offset, total}

async function showMember(id) {
  showView("view-member");
  const token = ++memberToken;
  $("member-body").hidden = true;
  setStatus($("member-status"), "loading", "議員の情報を読み込んでいます…");
  try {
    const member = await api(`/v1/members/${encodeURIComponent(id)}`);
    if (token !== memberToken) return;
    renderMemberInfo(member);
    setStatus($("member-status"));
    $("member-body").hidden = false;
    $("member-name").focus();
    timeline = { id, offset: 0, total: null };
    $("member-timeline").replaceChildren();
    await Promise.all([loadTimeline(token), renderTopic(id, token), renderChart(id, token)]);
  } catch (e) {
    if (token === memberToken) setStatus($("member-status"), "error", errorText(e), errorHint(e));
  }
}

function renderMemberInfo(m) {
  document.title = `${m.name}（${m.assembly_name}）— 議員サーチ`;
  $("member-name").textContent = m.name;
  const row = (dt, ...dd) => h("div", {}, h("dt", {}, dt), h("dd", {}, ...dd));
  const term = m.term_start || m.term_end
    ? `${m.term_start ? formatDate(m.term_start) : ""}〜${m.term_end ? formatDate(m.term_end) : ""}` : null;
  // replaceChildren would print a null as the text "null": a member with no roster who never spoke for a 会派 has no party.
  $("member-info").replaceChildren(...[
    row("議会", h("a", { href: withFilters(`/assemblies/${encodeURIComponent(m.assembly_code)}`), "data-nav": true }, m.assembly_name)),
    m.party ? row("会派", m.party, partySource(m), partyHistory(m)) : null,
    m.district ? row("選挙区", m.district) : null,
    term ? row("任期", term) : null,
    m.seats ? row("議席番号", m.seats) : null,
    row("会議録での発言期間", m.first_date ? `${formatDate(m.first_date)}〜${formatDate(m.last_date)}` : "不明"),
    row("発言", `${m.n_speeches}回（うち質問 ${m.n_questions}回）`),
  ].filter((c) => c));
  const reading = $("member-reading");
  reading.hidden = !m.reading;
  reading.textContent = m.reading ? `よみ：${m.reading}` : "";
  const committees = m.committees || [];
  $("member-committees").hidden = !committees.length;
  $("member-committees").replaceChildren(...(committees.length
    ? [h("span", { class: "chips-label" }, "所属委員会"), ...committees.map((c) => h("span", { class: "chip" }, c))] : []));
  const links = memberLinks(m.links || {});
  $("member-links").hidden = !links.length;
  $("member-links-list").replaceChildren(...links.map(([kind, label, url]) =>
    h("li", {}, externalLink(url, label, { class: `ext-link ext-${kind.split(":")[0]}`, "data-kind": kind }))));
  const profile = $("member-profile");
  profile.hidden = !isWebUrl(m.profile_url);
  profile.replaceChildren(...(profile.hidden ? [] : [externalLink(m.profile_url, "議会サイトの紹介ページ", { class: "profile" })]));
  renderLatestPosts(m.latest_posts || []);
  const note = $("member-note");
  note.hidden = !m.surname_only;
  note.textContent = m.surname_only
    ? "会議録に姓しか記されていない（委員会の「○○委員」など）ため、同姓の議員と区別できていない可能性があります。" : "";
}

/** Where the 会派 comes from when no roster gives it: the speech in which the member named it, cited. */
function partySource(m) {
  const roster = (m.affiliations || []).some((a) => a.source === "roster" && a.party === m.party);
  const named = (m.affiliations || []).find((a) => a.source === "minutes" && a.party === m.party);
  if (roster || !named) return null;
  const day = named.named_on ? formatDate(named.named_on) : "";
  return h("span", { class: "party-source" }, "出典: ",
    isWebUrl(named.source_url) ? externalLink(named.source_url, `会議録 ${day}`) : `会議録 ${day}`,
    named.quote ? `「${named.quote}」` : "");
}

/** The other 会派 the member was in (the API's earlier_parties: latest first, each with its source). */
function partyHistory(m) {
  const earlier = m.earlier_parties || [];
  if (!earlier.length) return null;
  const cite = (e) => {
    const label = `${e.source === "minutes" ? "会議録" : "名簿"}${e.on ? " " + formatDate(e.on) : ""}`;
    return isWebUrl(e.source_url) ? externalLink(e.source_url, label) : label;
  };
  return h("span", { class: "party-history" }, "以前の会派: ",
    ...earlier.flatMap((e, i) => [i ? "、" : "", `${e.party}（`, cite(e), "）"]));
}

const LINK_LABELS = {
  site: "公式サイト", blog: "ブログ", x: "X（旧Twitter）", facebook: "Facebook", instagram: "Instagram",
  youtube: "YouTube", line: "LINE", tiktok: "TikTok",
};
const BLOG_PLATFORMS = {
  ameba: "アメブロ", note: "note", hatena: "はてなブログ", livedoor: "ライブドアブログ", wordpress: "WordPress",
  blogger: "Blogger", fc2: "FC2ブログ", seesaa: "Seesaaブログ", goo: "gooブログ", jugem: "JUGEM",
  excite: "エキサイトブログ", cocolog: "ココログ", other: "その他",
};
const LINK_ORDER = ["site", "blog", "x", "facebook", "instagram", "youtube", "line", "tiktok"];

/** [kind, Japanese label, url] of the member's own links (http(s) only), site and blogs first, then SNS. */
function memberLinks(links) {
  const rank = (kind) => {
    const i = LINK_ORDER.indexOf(kind.split(":")[0]);
    return i < 0 ? LINK_ORDER.length : i;
  };
  const label = (kind) => {
    const [base, sub] = kind.split(":");
    if (base === "blog" && sub) return `ブログ（${BLOG_PLATFORMS[sub] || sub}）`;
    return LINK_LABELS[base] || kind;
  };
  return Object.entries(links)
    .filter(([, url]) => isWebUrl(url))
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([kind, url]) => [kind, label(kind), url]);
}

/** 「最近のブログ・サイト投稿」: the member's own posts (not the minutes), newest first as the API gives them. */
function renderLatestPosts(posts) {
  $("member-posts").hidden = !posts.length;
  $("member-posts-list").replaceChildren(...posts.map((p) => h("li", { class: "own-post" },
    h("p", { class: "own-post-head" },
      p.date ? h("time", { datetime: p.date, class: "post-date" }, formatDate(p.date)) : h("span", { class: "post-date" }, "日付不明"),
      isWebUrl(p.url) ? externalLink(p.url, p.title || "（無題の投稿）", { class: "post-title" })
        : h("span", { class: "post-title" }, p.title || "（無題の投稿）")),
    p.excerpt ? h("p", { class: "own-post-text" }, p.excerpt) : null,
    p.topics && p.topics.length
      ? h("p", { class: "chips" }, h("span", { class: "visually-hidden" }, "政策トピック: "), p.topics.map((t) => h("span", { class: "chip" }, t)))
      : null)));
}

async function renderTopic(id, token) {
  const q = currentFilters.q.trim();
  const section = $("member-topic");
  section.hidden = true;
  if (!q) return;
  try {
    const body = await api(`/v1/members/${encodeURIComponent(id)}/statements?${query({ q, limit: 3 })}`);
    if (token !== memberToken || !body.data.length) return;
    const terms = termsOf(q, [], body.terms);
    const shown = q.length > 30 ? q.slice(0, 30) + "…" : q;
    // Ranked by words and the topics they name, so the best may share only part of the words (待機児童 →
    // 自宅待機, 児童生徒): say so rather than title them as statements about the query (whole query words,
    // not the API's parts).
    const whole = termsOf(q);
    const literal = !whole.length || body.data.some((st) => whole.some((t) => `${st.heading || ""}${st.text || ""}`.includes(t)));
    $("member-topic-title").textContent = literal
      ? `「${shown}」に関する発言（一致度の高い順）`
      : `「${shown}」の語の一部だけが一致する発言（一致度の高い順。どれも「${shown}」そのものは含みません）`;
    $("member-topic-list").replaceChildren(...body.data.map((st) => h("li", {}, quote(st, terms, 200))));
    section.hidden = false;
  } catch {
    /* the timeline below still shows; a failed topic block is not worth an alert */
  }
}

async function loadTimeline(token) {
  const more = $("timeline-more");
  more.disabled = true;
  setStatus($("timeline-status"), "loading", "発言を読み込んでいます…");
  try {
    const body = await api(`/v1/members/${encodeURIComponent(timeline.id)}/statements?${query({ limit: TIMELINE_PAGE, offset: timeline.offset })}`);
    if (token !== memberToken) return;
    timeline.total = body.total;
    timeline.offset += body.data.length;
    appendTimeline(body.data);
    const rest = body.total - timeline.offset;
    setStatus($("timeline-status"), body.total ? null : "empty", body.total ? "" : "会議録に質問の発言が見つかりませんでした");
    more.hidden = rest <= 0 || !body.data.length;
    more.textContent = `もっと見る（残り ${rest}件）`;
  } catch (e) {
    if (token === memberToken) setStatus($("timeline-status"), "error", errorText(e), errorHint(e));
  } finally {
    more.disabled = false;
  }
}

function appendTimeline(items) {
  const list = $("member-timeline");
  const terms = termsOf(currentFilters.q);
  for (const st of items) {
    const label = formatDate(st.date);
    let group = list.lastElementChild;
    if (!group || group.dataset.date !== (st.date || "")) {
      group = h("li", { class: "tl-day", "data-date": st.date || "" },
        h("h3", { class: "tl-date" }, h("time", { datetime: st.date || "" }, label)), h("ol", { class: "tl-items" }));
      list.append(group);
    }
    group.querySelector(".tl-items").append(h("li", { class: "tl-item" },
      headingAndText(st, terms, 140),
      h("p", { class: "quote-meta" }, h("span", {}, st.committee || st.meeting_kind), sourceLink(st))));
  }
}

async function renderChart(id, token) {
  const box = $("member-chart");
  box.replaceChildren(h("p", { class: "hint" }, "集計しています…"));
  try {
    const page = (offset) => api(`/v1/members/${encodeURIComponent(id)}/statements?${query({ limit: 100, offset })}`);
    const first = await page(0);
    const offsets = [];
    for (let o = 100; o < Math.min(first.total, CHART_MAX); o += 100) offsets.push(o);
    const rest = await Promise.all(offsets.map(page));
    if (token !== memberToken) return;
    const counts = new Map();
    for (const st of [first, ...rest].flatMap((b) => b.data)) {
      if (st.date) counts.set(st.date, (counts.get(st.date) || 0) + 1);
    }
    box.replaceChildren(barChart([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)), first.total > CHART_MAX));
  } catch (e) {
    if (token === memberToken) box.replaceChildren(h("p", { class: "status error" }, errorText(e)));
  }
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** Bars per meeting date (equal spacing, oldest left), year labels where the year changes. */
function barChart(days, truncated) {
  if (!days.length) return h("p", { class: "hint" }, "集計できる発言がありません。");
  const total = days.reduce((n, [, c]) => n + c, 0);
  const max = Math.max(...days.map(([, c]) => c));
  const busiest = days.find(([, c]) => c === max);
  const step = Math.max(10, Math.min(90, 860 / days.length));
  const barWidth = Math.min(40, Math.max(2, step * 0.7));
  const dayLabels = step >= 44; // room for "2/28" under each bar
  const left = 34, top = 14, plot = 130, bottom = dayLabels ? 44 : 26;
  const width = left + days.length * step + 8;
  const height = top + plot + bottom;
  const y = (c) => top + plot - (c / max) * plot;
  const summary = `${days.length}日の会議で発言（段落）が合計${total}件。最も多いのは${formatDate(busiest[0])}の${max}件。`;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": summary, class: "bars" });
  svg.append(s("line", { x1: left, x2: width, y1: top + plot, y2: top + plot, class: "axis" }));
  for (const c of [...new Set([0, Math.round(max / 2), max])]) {
    svg.append(s("text", { x: left - 6, y: y(c) + 4, class: "tick", "text-anchor": "end" }, c));
    if (c) svg.append(s("line", { x1: left, x2: width, y1: y(c), y2: y(c), class: "grid" }));
  }
  let lastYear = null;
  days.forEach(([date, c], i) => {
    const x = left + i * step;
    const mid = x + step / 2;
    svg.append(s("rect", { x: mid - barWidth / 2, y: y(c), width: barWidth, height: top + plot - y(c), rx: 2, class: "bar" },
      s("title", {}, `${formatDate(date)}: ${c}件`)));
    if (dayLabels) {
      const [, m, d] = date.split("-").map(Number);
      svg.append(s("text", { x: mid, y: top + plot + 16, class: "tick", "text-anchor": "middle" }, `${m}/${d}`));
    }
    const year = date.slice(0, 4);
    if (year !== lastYear) {
      svg.append(s("text", { x: dayLabels ? mid : x + 2, y: top + plot + (dayLabels ? 34 : 18), class: "year",
        "text-anchor": dayLabels ? "middle" : "start" }, year));
      lastYear = year;
    }
  });
  return h("figure", {},
    h("div", { class: "chart-scroll" }, svg),
    h("figcaption", { class: "hint" }, summary, " 横軸は会議日（等間隔に並べています）、縦軸はその日の発言の段落数。",
      truncated ? `新しい${CHART_MAX}件までを集計しています。` : ""));
}

$("timeline-more").addEventListener("click", () => loadTimeline(memberToken));

// ---------------------------------------------------------------- assembly page

let assemblyToken = 0;

async function showAssembly(code) {
  showView("view-assembly");
  const token = ++assemblyToken;
  const q = currentFilters.q.trim();
  $("assembly-q").value = q;
  $("assembly-body").hidden = true;
  const known = await assemblies();
  const info = known.find((a) => a.assembly_code === code);
  if (token !== assemblyToken) return;
  $("assembly-name").textContent = info ? info.name : `議会 ${code}`;
  document.title = `${info ? info.name : code} — 議員サーチ`;
  if (!info && known.length) { // (an empty list means the list itself failed to load: search anyway)
    $("assembly-info").replaceChildren();
    setStatus($("assembly-status"), "error", `議会 ${code} の会議録は収録されていません。`,
      "団体コード（6桁）を確かめるか、トップページの「議会」から選んでください。");
    return;
  }
  const row = (dt, dd) => h("div", {}, h("dt", {}, dt), h("dd", {}, dd));
  $("assembly-info").replaceChildren(...(info ? [
    info.prefecture ? row("都道府県", info.prefecture) : null,
    row("収録している会議", `${info.meetings}件（${formatDate(info.first_date)}〜${formatDate(info.last_date)}）`),
    row("発言した議員", `${info.members}人`),
    // Each 会派 opens the member search of this assembly narrowed to it (the need typed here, if any).
    info.parties?.length ? row("会派", h("span", { class: "party-list" }, ...info.parties.flatMap((p, i) => [i ? "、" : "",
      h("a", { href: withFilters("/", { ...currentFilters, assembly: code, party: p.name }), "data-nav": true },
        `${p.name}（${p.members}人）`)]))) : null,
  ].filter(Boolean) : []));
  $("assembly-name").focus();
  if (!q) {
    setStatus($("assembly-status"), "empty", "課題を入力すると、この議会で議員が何を質問し、執行部がどう答えているかを表示します。");
    return;
  }
  setStatus($("assembly-status"), "loading", "この議会の発言を探しています…");
  try {
    const body = await api(`/v1/statements/search?${query({ q, assembly: code, since: currentFilters.since, until: currentFilters.until, limit: 40 })}`);
    if (token !== assemblyToken) return;
    renderAssembly(q, body.data, body.terms);
  } catch (e) {
    if (token === assemblyToken) setStatus($("assembly-status"), "error", errorText(e), errorHint(e));
  }
}

function renderAssembly(q, items, apiTerms = null) {
  if (!items.length) {
    setStatus($("assembly-status"), "empty", "該当する発言が見つかりませんでした", "ヒント: 別の言い方や短いキーワードで試してください。");
    return;
  }
  const terms = termsOf(q, [], apiTerms);
  const questions = items.filter((st) => st.role_kind === "member").slice(0, 10);
  const answers = items.filter((st) => st.role_kind === "executive").slice(0, 10);
  const who = (st) => st.role_kind === "member" && st.member_id
    ? h("a", { href: withFilters(`/members/${encodeURIComponent(st.member_id)}`), "data-nav": true, class: "speaker" }, st.member_name || st.speaker)
    : h("span", { class: "speaker" }, speakerOf(st));
  const fill = (list, rows) => list.replaceChildren(...(rows.length
    ? rows.map((st) => h("li", {}, quote(st, terms, 180, who(st))))
    : [h("li", { class: "hint" }, "該当する発言はありません。")]));
  fill($("assembly-members"), questions);
  fill($("assembly-exec"), answers);
  setStatus($("assembly-status"), "done", `「${q.length > 30 ? q.slice(0, 30) + "…" : q}」についての発言（一致度の高い順）`);
  $("assembly-body").hidden = false;
}

// ---------------------------------------------------------------- wiring

$("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const f = {
    q: $("q").value.trim(),
    assembly: $("assembly").value,
    party: $("party").value,
    since: $("since").value,
    until: $("until").value,
    on: $("on").value,
  };
  if (!f.q) {
    setStatus($("search-status"), "error", "解決策・ニーズを入力してください。");
    $("q").focus();
    return;
  }
  if (f.on && (f.since || f.until)) { // the API refuses the pair (422); say it here, in Japanese
    setStatus($("search-status"), "error", "「この日に取り上げた議員を先に」と期間は一緒に指定できません。どちらかを空にしてください。");
    $("on").focus();
    return;
  }
  const url = withFilters("/", f);
  if (url === location.pathname + location.search) route(); // same search again: re-run
  else navigate(url);
});
$("q").addEventListener("input", updateCounter);
$("q").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
    ev.preventDefault();
    $("search-form").requestSubmit();
  }
});
$("csv-button").addEventListener("click", downloadCsv);
$("assembly").addEventListener("change", fillPartySelect);
$("assembly-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = $("assembly-q").value.trim();
  if (q) navigate(withFilters(location.pathname, { ...currentFilters, q }));
});

fillAssemblySelect();
route();
