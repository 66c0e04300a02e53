/* Registers clawweb's service worker on every page and offers
 * window.clawwebPush.enable() / disable() / status() to the notification pages
 * (called through rx.call_script; loaded as a file because the CSP allows no
 * inline script). enable() asks for permission, subscribes with the server's
 * VAPID key and posts the subscription with the session cookie.
 */
(function () {
  "use strict";
  const supported = "serviceWorker" in navigator;
  const ready = supported
    ? navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(() => null)
    : Promise.resolve(null);

  function bytes(base64url) {
    const b64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function sameKey(sub, key) {
    const have = sub.options && sub.options.applicationServerKey;
    if (!have) return false;
    const a = new Uint8Array(have);
    return a.length === key.length && a.every((v, i) => v === key[i]);
  }

  async function post(path, body) {
    const resp = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    return resp.json().catch(() => ({ok: false, error: "errors.unexpected"}));
  }

  async function enable() {
    if (!supported || !("PushManager" in window) || !("Notification" in window)) {
      return {ok: false, error: "unsupported"};
    }
    if ((await Notification.requestPermission()) !== "granted") {
      return {ok: false, error: "denied"};
    }
    try {
      await ready;
      const reg = await navigator.serviceWorker.ready;
      const key = bytes((await (await fetch("/api/push/key")).json()).key);
      let sub = await reg.pushManager.getSubscription();
      if (sub && !sameKey(sub, key)) {
        await sub.unsubscribe();  // made for another server key
        sub = null;
      }
      sub = sub || await reg.pushManager.subscribe({userVisibleOnly: true,
                                                     applicationServerKey: key});
      return await post("/api/push/subscribe", sub.toJSON());
    } catch (e) {
      return {ok: false, error: String((e && e.name) || "failed")};
    }
  }

  async function disable() {
    if (!supported) return {ok: true};
    const reg = await navigator.serviceWorker.ready;
    const sub = await reg.pushManager.getSubscription();
    if (!sub) return {ok: true};
    await post("/api/push/unsubscribe", {endpoint: sub.endpoint});
    await sub.unsubscribe();
    return {ok: true};
  }

  async function status() {
    if (!supported || !("PushManager" in window)) return "unsupported";
    if (Notification.permission === "denied") return "denied";
    const reg = await navigator.serviceWorker.ready;
    return (await reg.pushManager.getSubscription()) ? "on" : "off";
  }

  window.clawwebPush = {enable, disable, status, ready};
})();
