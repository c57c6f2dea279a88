// The admin's pages of the web console in headless Chromium against the local stack with the
// sample tenant (scripts/browser-test.sh runs it after console.test.mjs): buildings, the audit
// trail, the Graph connector and erasure, and the refusal every other role gets. What the page
// shows is checked against what the API answers.

import { test } from "node:test";
import assert from "node:assert/strict";
import { GATEWAY, ARTIFACTS, ADA, assertAccessible, api, signIn } from "./browser.mjs";

/** `method` `path` with `body` (text of `type`) as `role`: the status and the JSON answer. */
async function send(role, method, path, body, type) {
  const { token } = await (await fetch(`${GATEWAY}/dev/token?role=${role}`)).json();
  const response = await fetch(`${GATEWAY}${path}`, { method, headers: { Authorization: `Bearer ${token}`, "Content-Type": type }, body });
  return { status: response.status, answer: await response.json() };
}

/** Every row of the active building map, as the API lists them. */
async function buildingRows() {
  const rows = [];
  let cursor;
  do {
    const page = await api("admin", `/buildings?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

/** `rows` (as `GET /buildings` lists them) as a building file again, CSV. */
function buildingFile(rows) {
  const quote = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return rows.map((b) => {
    const [ip, prefix] = b.network.split("/");
    const text = [ip, b.networkName, prefix, b.buildingName, b.ownershipType, b.buildingType, b.buildingOfficeType, b.city, b.zipCode, b.country, b.state, b.region];
    return [...text.map((v) => quote(v ?? "")), b.insideCorp ? 1 : 0, b.expressRoute ? 1 : 0, b.vpn ? 1 : 0].join(",");
  }).join("\n") + "\n";
}

const nothingRaw = (text, where) => assert.ok(!/\b(undefined|null|NaN)\b/.test(text), `nothing left out shows as text on ${where}`);

/** The file picker given `content` as a file named `name`, then its Upload button. */
async function upload(page, route, name, content) {
  await page.locator(`#${route}-file`).setInputFiles({ name, mimeType: name.endsWith(".tsv") ? "text/tab-separated-values" : "text/csv", buffer: Buffer.from(content) });
  await page.getByRole("button", { name: route === "buildings" ? "Upload building file" : "Upload endpoint file" }).click();
}

/** The problem table's rows: [line, column, field, message] each. */
const problemRows = (page, id) => page.locator(`#${id} tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));

test("specialists and engineers see no admin link, and an admin page answers them with the API's refusal in words", async () => {
  for (const role of ["Support specialist", "Support engineer"]) {
    const page = await signIn(role);
    assert.ok(await page.locator("#admin-links").isHidden(), `no admin links for a ${role.toLowerCase()}`);
    for (const [route, title] of [["buildings", "Buildings"], ["audit", "Audit"], ["connector", "Connector"]]) {
      await page.goto(`${GATEWAY}/console#/${route}`);
      await page.getByRole("heading", { name: title, exact: true }).waitFor();
      const refusal = page.getByRole("alert").filter({ hasText: "Only an admin may see this page" });
      await refusal.waitFor();
      assert.match(await refusal.textContent(), /roles do not allow this/, "the API's own words");
      await assertAccessible(page, `the ${route} page refused (${role})`);
    }
    await page.goto(`${GATEWAY}/console#/erasure`);
    await page.getByRole("alert").filter({ hasText: "Only an admin" }).waitFor();
    await page.context().close();
  }
});

test("an admin uploads building files: every problem by line and column, then a good one's version and rows; the unmapped subnets", async () => {
  const original = await buildingRows();
  assert.ok(original.length > 0, "the sample tenant has a building map");
  const restore = buildingFile(original);
  try {
    const page = await signIn("Admin");
    assert.deepEqual(await page.locator("#admin-links a").allTextContents(), ["Buildings", "Audit", "Connector", "Erasure"]);
    await page.getByRole("link", { name: "Buildings" }).click();
    await page.locator("#buildings tbody tr").first().waitFor();
    assert.equal(await page.locator("#buildings tbody tr").count(), Math.min(original.length, 100), "the map in use, a row each");

    // The subnets no building covers, as the API reports them.
    const unmapped = (await api("admin", "/buildings/unmapped-subnets")).items;
    if (unmapped.length) {
      const shown = await page.locator("#unmapped tbody tr").evaluateAll((rows) => rows.map((r) => [r.cells[0].textContent, Number(r.cells[1].textContent)]));
      assert.deepEqual(shown, unmapped.map((s) => [s.subnet, s.audioStreams]));
    } else {
      await page.locator("#unmapped-none").waitFor();
    }

    // A file with a problem on every line: each listed by line and column, as the API lists them.
    const bad = [
      "10.200.300.0,Lab/Net1,24,Lab,Contoso,Office,Engineering,Seattle,98101,US,WA,AMER,1,0,0",
      "10.200.2.0,Lab/Net2,40,Lab,Contoso,Office,Engineering,Seattle,98101,US,WA,AMER,1,0,0",
      "10.200.3.0,Lab/Net3,24",
      "10.200.4.0,Lab/Net4,24,Lab,Contoso,Office,Engineering,Seattle,98101,US,WA,AMER,maybe,0,0",
    ].join("\n") + "\n";
    const refused = await send("admin", "PUT", "/buildings", bad, "text/csv");
    assert.equal(refused.status, 422);
    await upload(page, "buildings", "buildings-bad.csv", bad);
    await page.locator("#buildings-problems").waitFor();
    const listed = await problemRows(page, "buildings-problems");
    assert.deepEqual(listed.map((r) => r.slice(0, 2).map(Number)), refused.answer.error.problems.map((p) => [p.line, p.column]), "every problem, by line and column");
    assert.deepEqual(listed.map((r) => r[3]), refused.answer.error.problems.map((p) => p.message));
    assert.deepEqual([...new Set(listed.map((r) => r[0]))], ["1", "2", "3", "4"], "a problem on each of the four lines");
    assert.match(await page.locator("#buildings-result").textContent(), /refused and nothing changed/);
    assert.deepEqual(await buildingRows(), original, "a refused file changes nothing");
    await assertAccessible(page, "a refused building file");
    await page.screenshot({ path: `${ARTIFACTS}/admin-buildings.png`, fullPage: true });

    // The endpoint file's problems too (nothing is changed: the sample tenant has none uploaded).
    const badEndpoints = `LAPTOP-1,Contoso,Model 1\n${"X".repeat(70)},Contoso,Model 2,Laptop,a,b,c\n`;
    const endpointsRefused = await send("admin", "PUT", "/endpoints", badEndpoints, "text/csv");
    assert.equal(endpointsRefused.status, 422);
    await upload(page, "endpoints", "endpoints-bad.csv", badEndpoints);
    await page.locator("#endpoints-problems").waitFor();
    const endpointProblems = await problemRows(page, "endpoints-problems");
    assert.deepEqual(endpointProblems.map((r) => r.slice(0, 2).map(Number)), endpointsRefused.answer.error.problems.map((p) => [p.line, p.column]));

    // A good file, as TSV, with a row without a city: its version, rows and warning, and the map lists its rows.
    const good = [
      "10.200.1.0\tLab/Floor1\t24\tLab\tContoso\tOffice\tEngineering\tSeattle\t98101\tUS\tWA\tAMER\t1\t0\t0",
      "10.200.2.0\tDepot/Yard\t24\tDepot\tContoso\tWarehouse\t\t\t\t\t\t\t1\t0",
    ].join("\n") + "\n";
    await upload(page, "buildings", "buildings-good.tsv", good);
    await page.locator("#buildings-result .done").waitFor();
    const active = await api("admin", "/buildings");
    const said = await page.locator("#buildings-result").textContent();
    assert.match(said, new RegExp(`version ${active.version}, 2 rows, 1 warning`), said);
    assert.match(await page.locator("#buildings-warnings").textContent(), /City or Country is empty/);
    await page.locator("#map-version", { hasText: `Version ${active.version}` }).waitFor();
    const rows = await page.locator("#buildings tbody tr").evaluateAll((trs) => trs.map((r) => [...r.cells].map((c) => c.textContent)));
    assert.deepEqual(rows.map((r) => r[0]), ["10.200.1.0/24", "10.200.2.0/24"]);
    assert.equal(rows[0][3], "Seattle, WA, 98101, US, AMER");
    assert.equal(rows[1][3], "—", "a row without a city says so, without \"undefined\"");
    nothingRaw(await page.locator("main").textContent(), "the buildings page");
    await assertAccessible(page, "an accepted building file");

    // The sample tenant's map back, through the same form: the tests after this one read it.
    await upload(page, "buildings", "buildings.csv", restore);
    await page.locator("#buildings-result", { hasText: `${original.length} rows` }).waitFor();
    assert.deepEqual(await buildingRows(), original, "the sample tenant's map is back");
    await page.context().close();
  } finally {
    const back = await buildingRows().catch(() => []);
    if (JSON.stringify(back) !== JSON.stringify(original)) await send("admin", "PUT", "/buildings", restore, "text/csv");
  }
});

test("an admin reads the audit trail filtered by action and date, a page at a time", async () => {
  await api("support-engineer", `/users/${ADA}/calls?limit=5`); // an entry of today to find
  const page = await signIn("Admin");
  await page.getByRole("link", { name: "Audit" }).click();
  await page.locator("#audit tbody tr").first().waitFor();
  await assertAccessible(page, "the audit trail");
  const today = await page.evaluate(() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`; });
  await page.locator("#audit-from").fill(today);
  await page.locator("#audit-to").fill(today);
  await page.getByLabel("Action").selectOption({ label: "Read a user's history" });
  const asked = page.waitForResponse((r) => r.url().includes("/audit?") && r.url().includes("action=history"));
  await page.getByRole("button", { name: "Show" }).click();
  const response = await asked;
  const url = new URL(response.url());
  const from = new Date(url.searchParams.get("from")), to = new Date(url.searchParams.get("to"));
  assert.equal(to - from, 24 * 3600 * 1000, "from the start of today to the start of tomorrow, in the agent's time zone");
  const answer = await api("admin", `/audit?action=history&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}&limit=50`);
  assert.ok(answer.items.length > 0, "today's reads of a history");
  await page.locator("#audit-summary", { hasText: "shown" }).waitFor();
  const rows = await page.locator("#audit tbody tr").evaluateAll((trs) => trs.map((r) => ({ action: r.dataset.action, at: r.querySelector("time").getAttribute("datetime"), text: r.textContent })));
  assert.equal(rows.length, answer.items.length, "the API's page, a row each");
  for (const row of rows) {
    assert.equal(row.action, "history");
    assert.match(row.text, /Read a user's history/);
    assert.ok(new Date(row.at) >= from && new Date(row.at) < to, `${row.at} is today`);
  }
  assert.ok(rows.some((r) => r.text.includes(ADA) && r.text.includes("Support engineer")), "the engineer's read of Ada's history, by role name");
  nothingRaw(await page.locator("main").textContent(), "the audit trail");
  await assertAccessible(page, "the audit trail filtered");
  await page.screenshot({ path: `${ARTIFACTS}/admin-audit.png`, fullPage: true });
  await page.context().close();
});

test("an admin sees the Graph connector in words: subscription, last notification, queues, dead letters with Retry", async () => {
  const letters = await api("admin", "/graph/dead-letters?limit=50");
  const page = await signIn("Admin");
  // The sample tenant has one record Graph sends and callscope refuses (a call of 8 days):
  // the connector set it aside.
  const refused = letters.items.find((d) => d.callId.startsWith("dead1e77-"));
  assert.ok(refused, "the sample tenant's refused record is a dead letter");
  assert.match(refused.reason, /^refused by ingest/);
  // The page is compared with the status it was given: the queues move while the local stack
  // runs (the phone-call poll is queued every 10 s), so a status read apart could differ.
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith("/graph/status"));
  await page.getByRole("link", { name: "Connector" }).click();
  const status = await (await answered).json();
  await page.locator("#connector-status").waitFor();
  const subscription = await page.locator("#subscription").textContent();
  const state = { active: "Active", expiring: "Expiring soon", expired: "Expired", none: "None" }[status.subscription.state];
  assert.ok(subscription.startsWith(state), `${status.subscription.state} reads ${subscription}`);
  if (status.subscription.expiresAt) assert.match(subscription, /expire(s|d) (in |tomorrow|yesterday|today|now|\d+ \w+ ago|last|next)/, subscription);
  const said = (id) => page.locator(id).textContent();
  if (status.lastNotificationAt) assert.match(await said("#last-notification"), /ago|now|\d{4}/);
  else assert.equal(await said("#last-notification"), "None in the last 30 days");
  const waiting = (q) => new RegExp(`^${q.waiting} messages? waiting`);
  assert.match(await said("#queue-live"), waiting(status.queues.live));
  assert.match(await said("#queue-backfill"), waiting(status.queues.backfill));
  assert.match(await said("#queue-dead-letter"), waiting(status.queues.deadLetter));
  assert.match(await said("#dead-letter-count"), new RegExp(`^${status.deadLetters} call records?$`));

  const listed = letters.items;
  const rows = page.locator("#dead-letters tbody tr");
  await rows.first().waitFor();
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((r) => r.dataset.call)), listed.map((d) => d.callId));
  const first = rows.first();
  assert.match(await first.textContent(), new RegExp(listed[0].reason.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.equal(await first.locator("td.num").textContent(), String(listed[0].attempts));
  nothingRaw(await page.locator("main").textContent(), "the connector page");
  await assertAccessible(page, "the connector page");
  await first.getByRole("button", { name: /^Retry/ }).focus();
  await page.keyboard.press("Enter");
  await first.getByText(/Queued: it is fetched again/).waitFor();
  assert.ok(await first.getByRole("button", { name: /^Retry/ }).isDisabled(), "one retry per press");
  await assertAccessible(page, "a dead letter queued again");
  // The worker fetches it again, ingest refuses it again, and it is set aside anew.
  let again;
  for (let i = 0; i < 120 && !(again?.at > listed[0].at); i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    again = (await api("admin", "/graph/dead-letters?limit=50")).items.find((d) => d.callId === listed[0].callId);
  }
  assert.ok(again?.at > listed[0].at, `the retried record was fetched and set aside again: ${JSON.stringify(again)}`);
  await page.screenshot({ path: `${ARTIFACTS}/admin-connector.png`, fullPage: true });
  await page.context().close();
});

// Last: it erases someone from the shared stack — the sample tenant's guest, whom the earlier
// tests meet only as one of the town hall's many participants.
test("an admin erases a guest from the Erasure page and reads where it stands", async () => {
  const history = await api("admin", `/users/${ADA}/calls?limit=100`);
  const townHall = history.items.find((c) => c.callId.startsWith("7041ba11-"));
  assert.ok(townHall, "Ada joined the sample tenant's town hall");
  const participants = async () => (await api("admin", `/calls/${townHall.callId}/participants?user=${ADA}&limit=100`)).items;
  const guest = (await participants()).find((p) => p.kind === "guest");
  assert.ok(guest?.id, "a guest joined the town hall");

  const page = await signIn("Admin");
  await page.getByRole("link", { name: "Erasure" }).click();
  // An id the API refuses is said beside the form, which stays.
  await page.getByLabel(/Person's id/).fill("x".repeat(300));
  await page.getByRole("button", { name: "Look up" }).click();
  await page.getByRole("alert").filter({ hasText: "userId" }).waitFor();
  assert.ok(await page.getByLabel(/Person's id/).isVisible(), "the form stays after a refused id");
  await page.getByLabel(/Person's id/).fill(guest.id);
  await page.getByRole("button", { name: "Look up" }).click();
  await page.getByText("Not erased").waitFor();
  await page.getByRole("button", { name: "Erase…" }).click();
  await page.getByRole("group", { name: `Erase ${guest.id}` }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Yes, erase", "the confirmation takes the focus");
  await assertAccessible(page, "the erasure page asking to confirm");
  await page.screenshot({ path: `${ARTIFACTS}/admin-erasure-confirm.png`, fullPage: true });
  await page.getByRole("button", { name: "Yes, erase" }).click();
  const result = page.locator("#erasure-result");
  await result.waitFor();
  const said = await result.textContent();
  assert.ok(Number(/Found in (\d+) calls?\./.exec(said)?.[1]) >= 1, said);
  assert.match(said, /Rewrote [1-9]\d* calls?;/, said);
  assert.match(said, /A last check runs at .+\d{4}.+\./, `the answer says when the sweep runs: ${said}`);
  await assertAccessible(page, "what an erasure found and did");
  assert.ok(page.url().endsWith(`#/erasure/${encodeURIComponent(guest.id)}`), "the address names whom the page shows");

  // A run handed over to the background (202) finishes there: wait for it, then the page,
  // reloaded at its own address, looks the guest up and says so.
  const status = `/users/${encodeURIComponent(guest.id)}/erasure`;
  for (let tries = 0; !(await api("admin", status)).complete; tries++) {
    assert.ok(tries < 60, "the erasure completes within a minute");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await page.reload();
  await result.filter({ hasText: "Complete: every step is done." }).waitFor();
  const reported = await result.textContent();
  assert.match(reported, /Last asked for .+\d{4}.+\./, reported);
  assert.match(reported, /A last check runs at .+\d{4}.+\./, "the sweep is still to come");
  assert.ok(!/\b(null|undefined|NaN)\b/.test(await page.locator("main").textContent()), "nothing left out shows as text");
  await page.screenshot({ path: `${ARTIFACTS}/admin-erasure-status.png`, fullPage: true });
  await page.context().close();

  const after = await participants();
  assert.ok(!after.some((p) => p.id === guest.id || p.displayName === guest.displayName), "the guest is gone from the call's detail");
  assert.ok(after.some((p) => p.displayName === "Erased user"), "in their place: Erased user");
});
