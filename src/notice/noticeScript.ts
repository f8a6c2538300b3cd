/**
 * The `<dunning-notice>` web component, served as one small script (`GET /embed/dunning-notice.js`)
 * that the SaaS app drops into its pages: no framework, no build step, nothing else to load.
 *
 *   <script src="https://billing.example.com/embed/dunning-notice.js" defer></script>
 *   <dunning-notice customer="cus_…" token="dn1.…"></dunning-notice>
 *
 * It reads the notice (`GET /api/customers/:id/billing-notice`, the token as a bearer) from the
 * origin it was loaded from (or `api-base`), shows it with its buttons (the update link, the retry
 * when possible; each opens in a new tab), reads it again when the customer comes back to the tab
 * (and every `refresh-seconds`, if set), and hides once no case is open. After each read it
 * dispatches `dunning-notice` (detail: the answer) so that the app decides what to do, a wall or
 * not: the service never locks anyone out itself. Errors dispatch `dunning-notice-error`.
 *
 * Written as browser JavaScript in a string (the service's TypeScript has no DOM types);
 * test/src/notice-script.test.ts checks that it parses, test/browser/billing-notice.test.ts runs it.
 * Every value from the answer goes in through textContent or a checked http(s) href.
 */
export const NOTICE_SCRIPT = String.raw`(() => {
  'use strict';
  if (customElements.get('dunning-notice')) return;
  var scriptOrigin = document.currentScript && document.currentScript.src ? new URL(document.currentScript.src).origin : '';
  var COLORS = {
    notice: ['#eef4ff', '#1d4ed8'],
    warning: ['#fff7e6', '#b45309'],
    wall: ['#fdecec', '#b91c1c'],
  };
  var STYLE =
    ':host{display:block}:host([hidden]){display:none}' +
    '.box{font:14px/1.45 system-ui,sans-serif;border:1px solid;border-left-width:6px;border-radius:6px;padding:12px 16px;margin:8px 0}' +
    '.title{font-weight:600;margin:0 0 4px}.message{margin:0 0 10px}' +
    '.actions{display:flex;gap:8px;flex-wrap:wrap}' +
    'a{display:inline-block;padding:6px 12px;border-radius:4px;text-decoration:none;font-weight:600}' +
    'a.primary{color:#fff}a.secondary{background:#fff;border:1px solid}';

  function httpUrl(u) {
    try {
      var p = new URL(u);
      return p.protocol === 'https:' || p.protocol === 'http:' ? p.href : undefined;
    } catch (e) {
      return undefined;
    }
  }

  class DunningNotice extends HTMLElement {
    static get observedAttributes() {
      return ['customer', 'token', 'api-base', 'refresh-seconds'];
    }
    constructor() {
      super();
      this.attachShadow({ mode: 'open' });
      this._onVisible = () => {
        if (document.visibilityState === 'visible') this.refresh();
      };
      this._seq = 0;
      this.answer = undefined;
    }
    connectedCallback() {
      document.addEventListener('visibilitychange', this._onVisible);
      window.addEventListener('focus', this._onVisible);
      this._schedule();
      this.refresh();
    }
    disconnectedCallback() {
      document.removeEventListener('visibilitychange', this._onVisible);
      window.removeEventListener('focus', this._onVisible);
      clearInterval(this._timer);
    }
    attributeChangedCallback(name, before, after) {
      if (!this.isConnected || before === after) return;
      if (name === 'refresh-seconds') this._schedule();
      else this.refresh();
    }
    /** A fresh token from the app's backend (before the old one expires). */
    set token(value) {
      this.setAttribute('token', value);
    }
    get token() {
      return this.getAttribute('token') || '';
    }
    _schedule() {
      clearInterval(this._timer);
      var seconds = Number(this.getAttribute('refresh-seconds'));
      if (seconds > 0) this._timer = setInterval(() => this.refresh(), Math.max(1, seconds) * 1000);
    }
    /** Reads the notice again and shows what it says now. */
    async refresh() {
      var customer = this.getAttribute('customer');
      if (!customer || !this.token) return;
      var base = (this.getAttribute('api-base') || scriptOrigin).replace(/\/+$/, '');
      var seq = ++this._seq;
      var res, body;
      try {
        res = await fetch(base + '/api/customers/' + encodeURIComponent(customer) + '/billing-notice', {
          headers: { Authorization: 'Bearer ' + this.token },
          credentials: 'omit',
          cache: 'no-store',
        });
        body = await res.json();
      } catch (err) {
        if (seq === this._seq) this._fail(0, { code: 'unreachable', message: String(err) });
        return;
      }
      // An older read that answers late never overwrites a newer one.
      if (seq !== this._seq) return;
      if (!res.ok) return this._fail(res.status, (body && body.error) || { code: 'http_' + res.status });
      this.answer = body;
      this._render(body);
      this.dispatchEvent(new CustomEvent('dunning-notice', { detail: body, bubbles: true, composed: true }));
    }
    _fail(status, error) {
      this._render(undefined);
      console.warn('dunning-notice:', status, error.code, error.message || '');
      this.dispatchEvent(new CustomEvent('dunning-notice-error', { detail: { status: status, error: error }, bubbles: true, composed: true }));
    }
    _render(answer) {
      var root = this.shadowRoot;
      root.textContent = '';
      var n = answer && answer.open ? answer.notice : undefined;
      if (!n) {
        this.hidden = true;
        this.removeAttribute('severity');
        return;
      }
      this.hidden = false;
      this.setAttribute('severity', n.severity);
      var colors = COLORS[n.severity] || COLORS.notice;
      var style = document.createElement('style');
      style.textContent = STYLE;
      var box = document.createElement('div');
      box.className = 'box';
      box.setAttribute('part', 'notice ' + n.severity);
      box.setAttribute('role', n.severity === 'wall' ? 'alert' : 'status');
      box.setAttribute('lang', n.locale || 'en');
      box.style.background = colors[0];
      box.style.borderColor = colors[1];
      var title = document.createElement('p');
      title.className = 'title';
      title.textContent = n.title;
      var message = document.createElement('p');
      message.className = 'message';
      message.textContent = n.message;
      var actions = document.createElement('div');
      actions.className = 'actions';
      var button = (action, primary) => {
        var href = action && httpUrl(action.url);
        if (!href) return;
        var a = document.createElement('a');
        a.href = href;
        a.target = '_blank';
        a.rel = 'noopener';
        a.textContent = action.label;
        a.className = primary ? 'primary' : 'secondary';
        a.setAttribute('part', primary ? 'button primary' : 'button');
        if (primary) a.style.background = colors[1];
        else a.style.color = a.style.borderColor = colors[1];
        actions.appendChild(a);
      };
      // As the emails: with a retry, "Retry my payment now" first and the update beside it.
      if (n.retry && n.retry.possible) {
        button(n.retry, true);
        button(n.update, false);
      } else button(n.update, true);
      box.append(title, message, actions);
      root.append(style, box);
    }
  }
  customElements.define('dunning-notice', DunningNotice);
})();
`;
