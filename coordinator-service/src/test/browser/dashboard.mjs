// Drives the coordinator's live dashboard in a real browser (Debian's Chromium through playwright-core):
// opens the page, starts a migration through the HTTP API while watching, records every phase the
// page shows for it, waits until the page shows it SUCCEEDED, and keeps a screenshot.
//   node dashboard.mjs BASE_URL SERVER_CERT.pem|- GUEST SOURCE DESTINATION SCREENSHOT.png VIEWER_TOKEN OPERATOR_TOKEN
// With an https BASE_URL the browser trusts SERVER_CERT (pinned by its public key; Chromium has no
// option to add a CA) and node's fetch trusts what NODE_EXTRA_CA_CERTS names.
// The page without a token asks for one; with a viewer's it goes live; the migration is requested with
// an operator's. Prints one JSON line {migrationId, phasesSeen, timeline} and exits 0; on any failure it prints why
// (with a screenshot of the page as it was) and exits 1.
import { chromium } from "playwright-core";
import { X509Certificate, createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const [base, serverCert, guest, source, destination, screenshot, viewer, operator] = process.argv.slice(2);
if (!operator) {
  console.error("usage: node dashboard.mjs BASE_URL SERVER_CERT.pem|- GUEST SOURCE DESTINATION SCREENSHOT.png"
    + " VIEWER_TOKEN OPERATOR_TOKEN");
  process.exit(2);
}
const pinned = [];
if (serverCert !== "-") {
  const spki = new X509Certificate(readFileSync(serverCert)).publicKey.export({ type: "spki", format: "der" });
  pinned.push("--ignore-certificate-errors-spki-list=" + createHash("sha256").update(spki).digest("base64"));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", ...pinned],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
page.on("pageerror", e => console.error("page error:", e.message));
try {
  await page.goto(base + "/dashboard");
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("sign-in needed"), null,
    { timeout: 30_000 });
  await page.goto(base + "/dashboard#token=" + encodeURIComponent(viewer));
  await page.reload(); // a fragment change alone does not load the page again
  await page.waitForFunction(() => document.getElementById("status").textContent === "live", null,
    { timeout: 30_000 });

  // Record every phase a migration row shows, as the page changes (not by polling: nothing is missed).
  await page.evaluate(() => {
    window.phasesSeen = {};
    const look = () => document.querySelectorAll("tr.migration").forEach(r => {
      const seen = (window.phasesSeen[r.dataset.migrationId] ||= []);
      if (seen[seen.length - 1] !== r.dataset.phase) seen.push(r.dataset.phase);
    });
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true });
    look();
  });

  const response = await fetch(base + "/migrations", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer " + operator },
    body: JSON.stringify({ guest, sourceHost: source, destinationHost: destination,
      controlFlow: "MANAGED_PEER_TO_PEER", reason: "dashboard browser test" }),
  });
  if (response.status !== 202) {
    throw new Error("POST /migrations answered " + response.status + ": " + await response.text());
  }
  const { migrationId } = await response.json();
  const row = `tr.migration[data-migration-id="${migrationId}"]`;

  await page.waitForSelector(row, { timeout: 30_000 });
  const ended = await page.waitForSelector(`#ended ${row}`, { timeout: 180_000 });
  const outcome = await ended.getAttribute("data-phase");
  await page.screenshot({ path: screenshot, fullPage: true });
  const phasesSeen = await page.evaluate(id => window.phasesSeen[id] || [], migrationId);
  const timeline = await ended.$$eval(".timeline i", is => is.map(i => i.textContent));
  console.log(JSON.stringify({ migrationId, outcome, phasesSeen, timeline }));
  if (outcome !== "SUCCEEDED") {
    throw new Error(migrationId + " ended " + outcome + " on the page: " + await ended.textContent());
  }
} catch (e) {
  console.error("dashboard test failed: " + e.message);
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  await browser.close();
  process.exit(1);
}
await browser.close();
