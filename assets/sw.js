/* clawweb's service worker: Web Push notifications, and Approve/Deny from them.
 *
 * A push carries JSON made by clawweb/services/notify/sender.py:
 *   {"v": 1, "type": "show", "tag", "title", "body", "url", "actions", "token"?}
 *   {"v": 1, "type": "close", "tag"}   (a decision made anywhere: close it here too)
 * Clicking the notification opens its deep link (a path on this site only);
 * Approve/Deny post the single-use token to /api/push/action, so the decision
 * needs no open page. Served from the site root so its scope is the whole app.
 */
"use strict";

const ACTION_ROUTE = "/api/push/action";

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

function localUrl(path) {
  // Only ever a page of this site, whatever the payload says.
  try {
    const url = new URL(path || "/notifications", self.location.origin);
    return url.origin === self.location.origin ? url.href : self.location.origin + "/notifications";
  } catch (e) {
    return self.location.origin + "/notifications";
  }
}

function showFromPush(data) {
  const actions = Array.isArray(data.actions) ? data.actions.slice(0, 2) : [];
  return self.registration.showNotification(String(data.title || "clawweb"), {
    body: String(data.body || ""),
    tag: String(data.tag || ""),
    renotify: Boolean(data.tag),
    requireInteraction: actions.length > 0,
    icon: "/icon-192.png",
    badge: "/icon-192.png",
    actions: actions.map((a) => ({action: String(a.action), title: String(a.title)})),
    data: {url: localUrl(data.url), token: String(data.token || "")},
  });
}

function closeTag(tag) {
  return self.registration.getNotifications({tag: String(tag || "")})
    .then((shown) => shown.forEach((n) => n.close()));
}

function handlePush(data) {
  if (data && data.type === "close") {
    return closeTag(data.tag);
  }
  if (data && data.type === "show") {
    return showFromPush(data);
  }
  return Promise.resolve();
}

self.addEventListener("push", (event) => {
  let data = null;
  try {
    data = event.data ? event.data.json() : null;
  } catch (e) {
    data = null;
  }
  event.waitUntil(handlePush(data));
});

function openPage(url) {
  const target = localUrl(url);
  return self.clients.matchAll({type: "window", includeUncontrolled: true}).then((open) => {
    for (const client of open) {
      if (client.url === target && "focus" in client) {
        return client.focus();
      }
    }
    return self.clients.openWindow(target);
  });
}

function decide(notification, action) {
  const data = notification.data || {};
  notification.close();
  return fetch(ACTION_ROUTE, {
    method: "POST",
    credentials: "same-origin",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({token: data.token, action: action}),
  }).then((resp) => resp.json().catch(() => ({ok: false})))
    .then((answer) => (answer && answer.ok ? answer : openPage(data.url).then(() => answer)))
    .catch(() => openPage(data.url));
}

function handleClick(notification, action) {
  if ((action === "allow" || action === "deny") && (notification.data || {}).token) {
    return decide(notification, action);
  }
  notification.close();
  return openPage((notification.data || {}).url);
}

self.addEventListener("notificationclick", (event) => {
  event.waitUntil(handleClick(event.notification, event.action));
});

self.addEventListener("pushsubscriptionchange", (event) => {
  // The push service replaced the subscription: tell clawweb the new one.
  const options = event.oldSubscription ? event.oldSubscription.options : null;
  const renew = event.newSubscription ? Promise.resolve(event.newSubscription)
    : (options ? self.registration.pushManager.subscribe(options) : Promise.resolve(null));
  event.waitUntil(renew.then((sub) => sub && fetch("/api/push/subscribe", {
    method: "POST",
    credentials: "same-origin",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(sub.toJSON()),
  })).catch(() => null));
});
