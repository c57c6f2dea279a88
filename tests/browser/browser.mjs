// What every browser test file shares: the browser, the local stack's address, the sample
// tenant's featured user, the accessibility scan, the API's own answers and signing in.

import { before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, mkdir } from "node:fs/promises";
import { chromium } from "playwright-core";

export const GATEWAY = process.env.GATEWAY_URL;
export const ARTIFACTS = process.env.ARTIFACTS_DIR || "target/browser";
export const ADA = "5a3e0000-0000-4000-8000-000000000000";
const AXE = await readFile(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
export let browser;

/** axe-core's scan of what `page` shows now: no serious or critical violation. It is evaluated
 * through the browser's debugging protocol, so the console's CSP stays in force. */
export async function assertAccessible(page, state) {
  await page.evaluate(`${AXE}\n;0`);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  assert.ok(result.passes.length > 10, `axe checked ${state}`);
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const found = serious.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(found, [], `accessibility of ${state}`);
}

/** Graph's raw values and field names that must never reach the page: each is said in words. */
const RAW = /\b(undefined|NaN|null|true|false|wifi80211\w*|frequency\d+GHz|callerToCallee|calleeToCaller|peerToPeer|groupCall|main-audio|main-video|applicationsharing-video|udp|tcp|windows|screenSharing|appSharing|average[A-Z]\w*|max[A-Z]\w*|\w+Ratio|\w+LossRate|\w+Percentage|\w+PercentTotal)\b/;

/** What `page` shows now (its visible text) carries no raw value, no "undefined" or "NaN", and
 * no frame rate as a percentage. */
export async function assertReadable(page, state) {
  const text = await page.locator("main").innerText();
  const raw = RAW.exec(text);
  assert.equal(raw?.[0], undefined, `${state} shows a raw value: …${raw && text.slice(Math.max(0, raw.index - 60), raw.index + 40)}…`);
  for (const cell of await page.locator("tr[data-metric=averageVideoFrameRate] td.num").allInnerTexts()) {
    if (cell) assert.match(cell, /\d fps$/, `a frame rate reads in frames per second in ${state}`);
  }
}

before(async () => {
  assert.ok(GATEWAY, "GATEWAY_URL is set by scripts/browser-test.sh");
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
});

/** The API's own answer for `role`: what the page must match. */
export async function api(role, path) {
  const { token } = await (await fetch(`${GATEWAY}/dev/token?role=${role}`)).json();
  const response = await fetch(`${GATEWAY}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, `${path} as ${role}`);
  return response.json();
}

/** A fresh page signed in through the console's role picker. */
export async function signIn(roleLabel) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (error) => assert.fail(`page error: ${error.message}`));
  await page.goto(`${GATEWAY}/console`);
  await page.getByRole("button", { name: new RegExp(`^${roleLabel}`) }).waitFor();
  await assertAccessible(page, "the sign-in page");
  await page.getByRole("button", { name: new RegExp(`^${roleLabel}`) }).click();
  await page.getByRole("combobox", { name: "Find a user" }).waitFor();
  await assertAccessible(page, "the search page");
  return page;
}

/** Types a name, picks the first suggestion by keyboard, and waits for the history. */
export async function openHistory(page, text) {
  const search = page.getByRole("combobox", { name: "Find a user" });
  await search.fill(text);
  await page.getByRole("option").first().waitFor();
  await search.press("ArrowDown");
  await search.press("ArrowUp");
  await search.press("Enter");
  await page.locator("#history tbody tr").first().waitFor();
  await assertAccessible(page, "a user's history");
}

/** The newest poor Teams call of Ada (not a phone call), as the API lists it. */
export async function poorCall() {
  const history = await api("support-engineer", `/users/${ADA}/calls?limit=100`);
  const call = history.items.find((c) => c.rating === "poor" && !c.outcome);
  assert.ok(call, "the sample tenant gives Ada a poor call");
  return call;
}

export async function openCall(page, callId) {
  await page.locator(`#history tr[data-call="${callId}"] a`).click();
  await page.getByRole("tab", { name: "Overview" }).waitFor();
}
