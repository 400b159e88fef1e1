// GraphiQL of the LK API: the sign-in helper and the example tabs. No build step: plain ES2017 on the UMD globals
// React, ReactDOM and GraphiQL loaded before it.
(function () {
  "use strict";
  var url = window.location.origin + window.location.pathname;
  var config = JSON.parse(document.getElementById("lk-graphiql-config").textContent);
  var STORAGE_KEY = "lk-graphiql-session";
  var REFRESH_BEFORE_MS = 60 * 1000; // refresh a minute before the access token expires
  var SESSION_FIELDS = "session { accessToken accessTokenExpiresAt refreshToken customer { id role } } errors { code message }";

  var session = null; // {accessToken, accessTokenExpiresAt, refreshToken, customer}
  var issuedTokens = new Set(); // tokens this page put into headers: replaced by the current one, dropped on sign-out
  var refreshTimer = null;
  var setToken = null; // set by the React component: re-renders it with the current token

  function $(id) { return document.getElementById(id); }

  async function call(query, variables) {
    var response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query: query, variables: variables }),
    });
    return response.json();
  }

  function payloadOf(result, field) {
    if (result.errors && result.errors.length) throw new Error(result.errors[0].message);
    var payload = result.data[field];
    if (payload.errors && payload.errors.length) throw new Error(payload.errors[0].message);
    return payload.session;
  }

  function show() {
    $("lk-signed-out").hidden = !!session;
    $("lk-signed-in").hidden = !session;
    $("lk-status").textContent = session
      ? "Вход выполнен (" + session.customer.role + "); токен в заголовке Authorization, действует до " +
        new Date(session.accessTokenExpiresAt).toLocaleTimeString() + "."
      : "Не выполнен вход: запросы идут анонимно.";
  }

  function adopt(next) {
    session = next;
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = null;
    if (session) {
      issuedTokens.add(session.accessToken);
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
      var delay = Math.max(new Date(session.accessTokenExpiresAt).getTime() - Date.now() - REFRESH_BEFORE_MS, 1000);
      refreshTimer = setTimeout(refresh, delay);
    } else {
      sessionStorage.removeItem(STORAGE_KEY);
    }
    show();
    if (setToken) setToken(session ? session.accessToken : null);
  }

  async function refresh() {
    if (!session) return;
    try {
      var result = await call(
        "mutation Refresh($input: RefreshSessionInput!) { refreshSession(input: $input) { " + SESSION_FIELDS + " } }",
        { input: { refreshToken: session.refreshToken } }
      );
      adopt(payloadOf(result, "refreshSession"));
    } catch (error) {
      adopt(null);
      $("lk-status").textContent = "Сессия истекла, войдите снова: " + error.message;
    }
  }

  async function signIn(event) {
    event.preventDefault();
    $("lk-status").textContent = "Вход…";
    try {
      var result = await call(
        "mutation SignIn($input: SignInInput!) { signIn(input: $input) { " + SESSION_FIELDS + " } }",
        { input: { phone: $("lk-phone").value.trim(), password: $("lk-password").value } }
      );
      $("lk-password").value = "";
      adopt(payloadOf(result, "signIn"));
    } catch (error) {
      $("lk-status").textContent = "Не удалось войти: " + error.message;
    }
  }

  async function signOut() {
    var ending = session;
    adopt(null);
    if (!ending) return;
    try {
      await call("mutation SignOut($input: SignOutInput!) { signOut(input: $input) { errors { code } } }", {
        input: { refreshToken: ending.refreshToken },
      });
    } catch (error) {
      /* the tokens are forgotten here anyway; the server lets the access token expire */
    }
  }

  function isOwn(value) {
    return issuedTokens.has(String(value).replace(/^Bearer\s+/i, ""));
  }

  // A request whose Authorization is a token this page issued earlier (a tab not opened since a refresh) goes with
  // the current one, or none after sign-out; a header typed by hand is sent as it is.
  function withCurrentToken(headers) {
    var result = {};
    Object.keys(headers || {}).forEach(function (name) {
      var own = name.toLowerCase() === "authorization" && isOwn(headers[name]);
      if (!own) result[name] = headers[name];
      else if (session) result[name] = "Bearer " + session.accessToken;
    });
    return result;
  }

  // Subscriptions go over a websocket to the same path (graphql-transport-ws, the client bundled in graphiql.min.js);
  // GraphiQL passes the tab's headers as the `connection_init` payload, where the server reads Authorization.
  var baseFetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: url.replace(/^http/, "ws") });
  function fetcher(params, options) {
    // GraphiQL learns the operation name 100 ms after an edit: run at once after opening a tab, it would still send
    // no name or the previous tab's, which the server rightly refuses. A missing name or one the document does not
    // define is replaced by the document's own when it has one operation (GraphiQL picks the websocket by that name:
    // without it a subscription went over HTTP), else dropped.
    var name = params.operationName;
    if (!name || !new RegExp("\\b(query|mutation|subscription)\\s+" + name + "\\b").test(params.query || "")) {
      var own = (params.query || "").match(/\b(?:query|mutation|subscription)\s+[_A-Za-z][_0-9A-Za-z]*/g) || [];
      var only = own.length === 1 ? own[0].split(/\s+/)[1] : undefined;
      params = Object.assign({}, params, { operationName: only });
    }
    var extra = { headers: withCurrentToken((options && options.headers) || {}) };
    // GraphiQL sends an operation over the websocket only when the editor's parsed document (also late after an edit
    // or a tab switch) names it a subscription: run at once, a subscription went over HTTP, which refuses it. The
    // text decides here, through the one thing GraphiQL reads of that document (operations, names).
    var chosen = params.operationName;
    if (chosen && new RegExp("\\bsubscription\\s+" + chosen + "\\b").test(params.query || "")) {
      extra.documentAST = {
        kind: "Document",
        definitions: [{
          kind: "OperationDefinition",
          operation: "subscription",
          name: { kind: "Name", value: chosen },
          selectionSet: { kind: "SelectionSet", selections: [] },
        }],
      };
    }
    return baseFetcher(params, Object.assign({}, options, extra));
  }

  // The headers editor of the open tab shows the session's token: put in on sign-in, on refresh and on opening a
  // tab; taken out on sign-out. Other headers of the tab are kept.
  function syncHeaders(editor) {
    var text = editor.getValue().trim();
    var headers = {};
    try {
      headers = text ? JSON.parse(text) : {};
    } catch (error) {
      return; // the user is typing: leave it alone
    }
    if (!headers || typeof headers !== "object" || Array.isArray(headers)) return;
    var next = {};
    var present = false;
    Object.keys(headers).forEach(function (name) {
      if (name.toLowerCase() !== "authorization") next[name] = headers[name];
      else if (!isOwn(headers[name])) { next[name] = headers[name]; present = true; }
    });
    if (session && !present) next.Authorization = "Bearer " + session.accessToken;
    var value = Object.keys(next).length ? JSON.stringify(next, null, 2) : "";
    if (value !== text) editor.setValue(value);
  }

  function HeaderSync(props) {
    var editors = GraphiQL.React.useEditorContext({ nonNull: true });
    var headerEditor = editors.headerEditor;
    React.useEffect(function () {
      if (headerEditor) syncHeaders(headerEditor);
    }, [headerEditor, editors.activeTabIndex, props.token]);
    return null;
  }

  var tabs = config.examples.map(function (example) {
    return { query: example.query };
  });

  function App() {
    var state = React.useState(session ? session.accessToken : null);
    setToken = state[1];
    return React.createElement(
      GraphiQL,
      {
        fetcher: fetcher,
        defaultTabs: tabs.length ? tabs : undefined,
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: false,
        defaultEditorToolsVisibility: "headers",
        inputValueDeprecation: true,
      },
      React.createElement(GraphiQL.Footer, null, React.createElement(HeaderSync, { token: state[0] }))
    );
  }

  // For the console (and the browser test): refresh now rather than a minute before expiry.
  window.lkGraphiQL = { refresh: refresh, signOut: signOut };

  $("lk-auth").addEventListener("submit", signIn);
  $("lk-sign-out").addEventListener("click", signOut);
  try {
    var stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
    if (stored && new Date(stored.accessTokenExpiresAt).getTime() > Date.now()) adopt(stored);
    else if (stored) { session = stored; refresh(); }
  } catch (error) {
    sessionStorage.removeItem(STORAGE_KEY);
  }
  show();
  ReactDOM.createRoot($("graphiql")).render(React.createElement(App));
})();
