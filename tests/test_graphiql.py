"""GraphiQL served by the server itself: pinned local assets only, each role's example operations as tabs (every one
valid against the schema), and, in a real headless Chromium with the network closed, the analyst signs in through
the page's helper and runs an example."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from schema.core.graphiql import ASSETS_DIR, ASSETS_PATH, EXAMPLES_DIR, ROLES, load_examples, render_page
from services.demo.credentials import ANALYST_PASSWORD, ANALYST_PHONE, DEMO_PASSWORD, DEMO_PHONE
from services.platform.clock import FrozenClock
from services.platform.settings import PROJECT_ROOT
from tests.support.processes import server_processes

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
LIVE_MESSAGE = "Проверка связи, перезвоните на +7 921 555-44-33"


async def _page(app_client: httpx.AsyncClient) -> str:
    response = await app_client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _config(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="lk-graphiql-config">(.*?)</script>', page, re.S)
    assert found is not None
    config: dict[str, Any] = json.loads(found.group(1))
    return config


async def test_the_page_loads_only_the_servers_own_assets(app_client: httpx.AsyncClient) -> None:
    page = await _page(app_client)
    references = re.findall(r'(?:src|href)="([^"]+)"', page)

    assert not re.search(r"https?://", page)  # no CDN, no other host
    assets = [reference for reference in references if not reference.startswith("data:")]
    assert {urlsplit(asset).path.rsplit("/", 1)[1] for asset in assets} == {
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "graphiql.min.css",
        "lk-graphiql.js",
        "lk-graphiql.css",
    }
    for asset in assets:
        response = await app_client.get(asset.replace("&amp;", "&"))
        name = urlsplit(asset).path.rsplit("/", 1)[1]
        assert response.status_code == 200, asset
        assert response.content == (ASSETS_DIR / name).read_bytes()
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert b"sourceMappingURL" not in response.content  # the maps are not shipped


async def test_assets_outside_the_folder_are_not_served(app_client: httpx.AsyncClient) -> None:
    assert (await app_client.get(f"{ASSETS_PATH}/missing.js")).status_code == 404
    assert (await app_client.get(f"{ASSETS_PATH}/../server.py")).status_code == 404


async def test_every_example_of_every_role_is_a_tab(app_client: httpx.AsyncClient) -> None:
    examples = _config(await _page(app_client))["examples"]

    files = [
        (role, path.stem, path.read_text(encoding="utf-8"))
        for role in ROLES
        for path in sorted((EXAMPLES_DIR / role).glob("*.graphql"))
    ]
    assert [(e["role"], e["name"], e["query"]) for e in examples] == files
    assert {role for role, _, _ in files} == set(ROLES)  # every role has examples
    assert all(e["description"] for e in examples)  # each file starts with a comment line saying what it shows


def test_a_script_end_tag_in_an_example_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    query = "# </script><script>alert(1)</script>\n{ __typename }\n"
    (tmp_path / "analyst").mkdir()
    (tmp_path / "analyst" / "x.graphql").write_text(query)

    page = render_page(load_examples(tmp_path))

    assert "<script>alert" not in page
    assert _config(page)["examples"] == [
        {"role": "analyst", "name": "x", "description": "</script><script>alert(1)</script>", "query": query}
    ]


@pytest.mark.parametrize("example", load_examples(), ids=lambda e: f"{e.role}/{e.name}")
def test_an_example_is_one_valid_named_operation(example: Any) -> None:
    schema = build_schema((PROJECT_ROOT / "schema.graphql").read_text(encoding="utf-8"))
    document = parse(example.query)

    assert validate(schema, document) == []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1
    assert operations[0].name is not None  # the tab's title


# --- the page in a real browser -------------------------------------------------------------------------------------


def _customer_writer(graphql_url: str) -> Callable[[str], None]:
    """Signs the demo customer in through the API; the function it returns writes a text into their latest appeal,
    as the cabinet would."""

    def call(query: str, variables: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(graphql_url, json={"query": query, "variables": variables}, headers=headers, timeout=60)
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    signed_in = call(
        "mutation($input: SignInInput!) { signIn(input: $input) { session { accessToken } errors { code } } }",
        {"input": {"phone": DEMO_PHONE, "password": DEMO_PASSWORD}},
    )
    assert signed_in["signIn"]["errors"] == [], signed_in
    token = signed_in["signIn"]["session"]["accessToken"]
    appeals = call("{ me { appeals(first: 1) { edges { node { id } } } } }", {}, token)
    appeal_id = appeals["me"]["appeals"]["edges"][0]["node"]["id"]

    def write(text: str) -> None:
        posted = call(
            "mutation($input: PostAppealMessageInput!) { postAppealMessage(input: $input) { errors { code } } }",
            {"input": {"appealId": appeal_id, "text": text}},
            token,
        )
        assert posted["postAppealMessage"]["errors"] == [], posted

    return write


def _browse(graphql_url: str) -> dict[str, Any]:
    """Open GraphiQL in headless Chromium with every host but the server unreachable, sign in as the demo analyst
    through the page's helper, run the analysts' `AppealsByCustomer` tab, then the `LiveAppealMessages` subscription
    while the demo customer writes a message; what the page showed and requested."""
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    profile = tempfile.mkdtemp(prefix="lk-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # The network is closed: every host but loopback goes to a proxy that is not there.
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        wait = WebDriverWait(driver, 60)
        driver.get(graphql_url)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-container .graphiql-tab"))
        tabs = [tab.text for tab in driver.find_elements(By.CSS_SELECTOR, ".graphiql-tab")]

        driver.find_element(By.ID, "lk-phone").send_keys(ANALYST_PHONE)
        driver.find_element(By.ID, "lk-password").send_keys(ANALYST_PASSWORD)
        driver.find_element(By.ID, "lk-sign-in").click()
        wait.until(lambda d: "Вход выполнен" in d.find_element(By.ID, "lk-status").text)
        status = driver.find_element(By.ID, "lk-status").text

        driver.find_element(
            By.XPATH, "//button[contains(@class,'graphiql-tab-button') and normalize-space()='AppealsByCustomer']"
        ).click()
        read_editors = "return [...document.querySelectorAll('.CodeMirror')].map(e => e.CodeMirror.getValue())"
        read_result = "return document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
        wait.until(lambda d: any("query AppealsByCustomer" in v for v in d.execute_script(read_editors)))
        # the tab opened after signing in shows the token in its headers editor
        headers = [v for v in driver.execute_script(read_editors) if '"Authorization"' in v]
        headers_first = json.loads(headers[0])["Authorization"] if headers else None

        def status_text(d: Any) -> str:
            text: str = d.find_element(By.ID, "lk-status").text
            return text

        def run() -> dict[str, Any]:
            driver.execute_script("document.querySelector('.graphiql-response .CodeMirror').CodeMirror.setValue('')")
            driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
            wait.until(lambda d: d.execute_script(read_result).strip().startswith("{"))
            answer: dict[str, Any] = json.loads(driver.execute_script(read_result))
            return answer

        def tokens() -> list[str]:
            return [
                json.loads(v)["Authorization"] for v in driver.execute_script(read_editors) if '"Authorization"' in v
            ]

        result = run()

        # refreshSession (due a minute before expiry; asked now) puts the new token in place of the old one
        driver.execute_async_script("window.lkGraphiQL.refresh().then(arguments[arguments.length - 1])")
        wait.until(lambda d: tokens() and tokens() != [headers_first] and "Вход выполнен" in status_text(d))
        refreshed_tokens = tokens()
        after_refresh = run()
        # A subscription runs over the page's websocket, authenticated by the refreshed header: the customer's message
        # arrives in the response pane (its phone number masked for the analyst).
        driver.find_element(
            By.XPATH, "//button[contains(@class,'graphiql-tab-button') and normalize-space()='LiveAppealMessages']"
        ).click()
        wait.until(lambda d: any("subscription LiveAppealMessages" in v for v in d.execute_script(read_editors)))
        driver.execute_script("document.querySelector('.graphiql-response .CodeMirror').CodeMirror.setValue('')")
        driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        live: dict[str, Any] = {}
        write = _customer_writer(graphql_url)
        for attempt in range(10):  # the subscription starts a moment after the click: write again until it is seen
            write(f"{LIVE_MESSAGE} ({attempt})")
            try:
                WebDriverWait(driver, 3).until(lambda d: "appealMessageAdded" in d.execute_script(read_result))
            except TimeoutException:
                continue
            live = json.loads(driver.execute_script(read_result))
            break
        driver.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()  # stops the subscription
        driver.find_element(
            By.XPATH, "//button[contains(@class,'graphiql-tab-button') and normalize-space()='AppealsByCustomer']"
        ).click()
        wait.until(lambda d: any("query AppealsByCustomer" in v for v in d.execute_script(read_editors)))

        # signing out takes the token out of the headers: the same example is then anonymous
        driver.find_element(By.ID, "lk-sign-out").click()
        wait.until(lambda d: "Не выполнен вход" in status_text(d))
        tokens_after_sign_out = tokens()
        signed_out = run()

        requests = []
        for entry in driver.get_log("performance"):  # type: ignore[no-untyped-call]
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requests.append(message["params"]["request"]["url"])
            elif message["method"] == "Network.webSocketCreated":
                requests.append(message["params"]["url"])
        return {
            "tabs": tabs,
            "status": status,
            "headers": headers,
            "result": result,
            "live": live,
            "refreshed_tokens": refreshed_tokens,
            "after_refresh": after_refresh,
            "tokens_after_sign_out": tokens_after_sign_out,
            "signed_out": signed_out,
            "requests": requests,
        }
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.skipif(
    (CHROMIUM is None or CHROMEDRIVER is None) and os.environ.get("CI") != "true",
    reason="no Chromium here (.ci/run installs Debian's chromium and chromium-driver)",
)
@pytest.mark.timeout(600)  # a server process and a browser: slow to start on a loaded machine
async def test_the_analyst_signs_in_and_runs_an_example_offline(
    server_url: str, redis_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    async with server_processes(
        server_url=server_url, redis_url=redis_url, clock=clock, tmp_path=tmp_path, count=1
    ) as servers:
        seen = await asyncio.to_thread(_browse, servers.graphql_url(0))

    origin = servers.urls[0]
    assert "MyCabinet" in seen["tabs"]
    assert "AppealInbox" in seen["tabs"]
    assert "AppealsByCustomer" in seen["tabs"]
    assert "LiveAppealMessages" in seen["tabs"]
    assert "ANALYST" in seen["status"]
    assert [json.loads(text)["Authorization"][:7] for text in seen["headers"]] == ["Bearer "]
    assert "errors" not in seen["result"], seen["result"]
    edges = seen["result"]["data"]["appealInbox"]["edges"]
    assert edges  # the demo appeals, read by the analyst
    assert all(edge["node"]["customer"]["fullName"] is None for edge in edges)  # masked for analysts
    assert seen["live"].get("data"), seen["live"]
    live = seen["live"]["data"]["appealMessageAdded"]
    assert live["message"]["authorRole"] == "CUSTOMER"
    assert live["message"]["text"].startswith("Проверка связи, перезвоните на ")
    assert "555" not in live["message"]["text"]  # the phone number is masked for the analyst
    assert live["eventId"]
    first_token = json.loads(seen["headers"][0])["Authorization"]
    assert len(seen["refreshed_tokens"]) == 1
    assert seen["refreshed_tokens"][0].startswith("Bearer ")
    assert seen["refreshed_tokens"][0] != first_token
    assert seen["after_refresh"]["data"]["appealInbox"]["edges"] == edges
    assert seen["tokens_after_sign_out"] == []
    assert seen["signed_out"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", seen["signed_out"]
    # Every request that could leave the machine went to the server (chrome:// and data: are the browser's own).
    network = [url for url in seen["requests"] if urlsplit(url).scheme in {"http", "https", "ws", "wss"}]
    assert any("/graphiql.min.js" in url for url in network)  # the log saw the page's assets
    assert f"{origin.replace('http', 'ws', 1)}/graphql" in network  # the subscription's websocket
    assert [url for url in network if not url.split("://", 1)[1].startswith(f"{origin.split('://', 1)[1]}/")] == []
