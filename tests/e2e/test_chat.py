"""Character chat from the user's side, with the scripted engine."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.card_file import read_card_file
from app.cards import card_data, write_png_card
from app.models import Character
from tests.e2e.conftest import route_scripted_engine, wait_ready, watch_page
from tests.support.live_server import LiveServer

MODEL = "Qwen3-0.6B-q4f32_1-MLC"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture
def context(browser: Browser) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 820}, service_workers="block")
    yield context
    context.close()


def open_app(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    wait_ready(page)
    return page


def load_model(page: Page) -> None:
    page.click("#model-button")
    page.click(f"#model-list li[data-model='{MODEL}'] button.load")
    expect(page.locator("#model-button")).to_have_attribute("data-loaded", "yes")


def steer(page: Page, **settings: Any) -> None:
    page.evaluate("s => Object.assign(globalThis.__scriptedEngine ??= {}, s)", settings)


def say(page: Page, text: str, replies_expected: int) -> None:
    page.fill("#prompt", text)
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant")).to_have_count(replies_expected)
    expect(page.locator(".message.assistant").last).not_to_have_attribute("data-state", "streaming")


def test_create_chat_stop_regenerate_swipe_edit_delete_and_reload(
    context: BrowserContext, live_server: LiveServer
) -> None:
    route_scripted_engine(
        context, {"reply": "*waves* Hello, traveller!", "tokenDelayMs": 5, "loadSteps": 2}
    )
    page = open_app(context, live_server.url)
    watch = watch_page(page)
    expect(page.locator("#character-list li")).to_have_count(3)  # the built-in characters

    page.click("#new-character")
    form = page.locator("#character-form")
    form.locator("[name=name]").fill("Mira")
    form.locator("[name=description]").fill("{{char}} is a lighthouse keeper.")
    form.locator("[name=first_mes]").fill("*lifts the lantern* Who goes there?")
    for greeting in ("Ahoy!", "Storm's coming."):
        page.click("#character-add-greeting")
        form.locator("#character-greetings textarea").last.fill(greeting)
    form.locator("button[value=save]").click()
    expect(page.locator("#chat-name")).to_have_text("Mira")
    greeting = page.locator(".message.assistant").first
    expect(greeting.locator(".content")).to_contain_text("Who goes there?")
    expect(greeting).to_have_attribute("data-swipe", "1/3")
    greeting.locator("button.next").click()
    expect(page.locator(".message.assistant").first.locator(".content")).to_have_text("Ahoy!")

    load_model(page)
    say(page, "Hi Mira", 2)
    expect(page.locator(".message.assistant").last.locator(".content")).to_have_text(
        "waves Hello, traveller!"
    )
    expect(page.locator(".message.assistant").last.locator(".content em")).to_have_text("waves")
    request = page.evaluate("globalThis.__scriptedEngineLog.requests.at(-1)")
    assert request["messages"][0]["role"] == "system"
    assert "Mira is a lighthouse keeper." in request["messages"][0]["content"]
    assert request["messages"][-1] == {"role": "user", "content": "Hi Mira"}
    assert request["messages"][-2] == {"role": "assistant", "content": "Ahoy!"}

    # stop keeps the partial reply
    steer(page, tokens=[f"part{i} " for i in range(300)], tokenDelayMs=15)
    page.fill("#prompt", "Tell me everything")
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant").last.locator(".content")).to_contain_text("part4")
    page.keyboard.press("Escape")
    expect(page.locator(".message.assistant").last).to_have_attribute("data-state", "stopped")
    partial = page.locator(".message.assistant").last.locator(".content").inner_text()
    assert partial.startswith("part0")
    assert "part299" not in partial

    # regenerate keeps the earlier version as a swipe
    steer(page, tokens=None, reply="A second answer.", tokenDelayMs=2)
    page.locator(".message.assistant").last.locator("button.regenerate").click()
    last = page.locator(".message.assistant").last
    expect(last.locator(".content")).to_have_text("A second answer.")
    expect(last).to_have_attribute("data-swipe", "2/2")
    regen = page.evaluate("globalThis.__scriptedEngineLog.requests.at(-1).messages")
    assert regen[-1] == {"role": "user", "content": "Tell me everything"}
    last.locator("button.prev").click()
    expect(page.locator(".message.assistant").last.locator(".content")).to_contain_text("part0")
    expect(page.locator(".message.assistant").last).to_have_attribute("data-swipe", "1/2")

    # edit the user's message, delete the first reply
    user_message = page.locator(".message.user").first
    user_message.locator("button.edit").click()
    user_message.locator("textarea.edit-text").fill("Hi Mira, edited")
    user_message.locator("button.save-edit").click()
    expect(page.locator(".message.user").first.locator(".content")).to_have_text("Hi Mira, edited")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".message.assistant").nth(1).locator("button.delete").click()
    expect(page.locator(".message.assistant")).to_have_count(2)

    # everything survives a reload
    before = page.locator("#chat .message .content").all_inner_texts()
    page.reload()
    wait_ready(page)
    expect(page.locator("#chat-name")).to_have_text("Mira")
    expect(page.locator("#chat .message")).to_have_count(len(before))
    assert page.locator("#chat .message .content").all_inner_texts() == before
    expect(page.locator(".message.assistant").last).to_have_attribute("data-swipe", "1/2")
    expect(page.locator("#session-list li")).to_have_count(1)
    expect(page.locator("#session-list .session-title")).to_have_text("Hi Mira")
    assert watch.errors == []


def _card_png(tmp_path: Path) -> tuple[Path, Character]:
    character = Character.new(
        "Captain Rook",
        description="{{char}} commands a river barge.",
        personality="gruff, kind",
        first_mes="*tips hat* Welcome aboard.",
        alternate_greetings=["Mind the rope."],
        creator_notes="never sent to the model",
        extensions={"depth_prompt": {"prompt": "keep it short", "depth": 4}},
        tags=["river", "captain"],
    )
    path = tmp_path / "rook.png"
    path.write_bytes(write_png_card(character))
    return path, character


def test_import_png_card_chat_export_and_reimport_identically(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    route_scripted_engine(context, {"reply": "Aye.", "loadSteps": 2})
    page = open_app(context, live_server.url)
    card_path, original = _card_png(tmp_path)
    page.set_input_files("#card-file", str(card_path))
    expect(page.locator("#chat-name")).to_have_text("Captain Rook")
    expect(page.locator(".message.assistant").first.locator(".content")).to_contain_text(
        "Welcome aboard."
    )
    load_model(page)
    say(page, "Ahoy captain", 2)
    system = page.evaluate("globalThis.__scriptedEngineLog.requests.at(-1).messages[0].content")
    assert "Captain Rook commands a river barge." in system
    assert "never sent to the model" not in system

    with page.expect_download() as png_download:
        page.click("#export-png")
    exported_png = tmp_path / "exported.png"
    png_download.value.save_as(exported_png)
    with page.expect_download() as json_download:
        page.click("#export-json")
    exported_json = tmp_path / "exported.json"
    json_download.value.save_as(exported_json)

    with page.expect_download() as charx_download:
        page.click("#export-charx")
    exported_charx = tmp_path / "exported.charx"
    charx_download.value.save_as(exported_charx)

    assert card_data(read_card_file(exported_png.read_bytes())) == card_data(original)
    assert json.loads(exported_json.read_text())["spec"] == "chara_card_v2"
    assert card_data(read_card_file(exported_json.read_bytes())) == card_data(original)
    assert card_data(read_card_file(exported_charx.read_bytes())) == card_data(original)

    # the same card again: the user is asked, and "keep both" makes a second copy
    dialog = page.locator("#duplicate-dialog")
    page.set_input_files("#card-file", str(exported_png))
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Captain Rook")
    dialog.locator("button[value=both]").click()
    expect(page.locator("#character-list li")).to_have_count(5)
    expect(page.locator("#chat-name")).to_have_text("Captain Rook")
    # "replace" takes a copy's place (no third one), "cancel" changes nothing
    page.set_input_files("#card-file", str(exported_charx))
    dialog.locator("button[value=replace]").click()
    expect(dialog).to_be_hidden()
    page.set_input_files("#card-file", str(exported_json))
    dialog.locator("button[value=cancel]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#character-list li")).to_have_count(5)


def test_an_odd_card_is_kept_and_what_changed_is_listed(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    page = open_app(context, live_server.url)
    odd = {
        "spec": "chara_card_v2 ",
        "spec_version": "2.0",
        "data": {
            "name": "Odd Card",
            "description": "Still a character.",
            "first_mes": "Hello.",
            "tags": "quiet, odd",
            "alternate_greetings": ["Hi again.", None],
            "system_prompt": 7,
        },
    }
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(odd))
    page.set_input_files("#card-file", str(path))
    expect(page.locator("#chat-name")).to_have_text("Odd Card")
    notes = page.locator("#card-notes")
    expect(notes).to_be_visible()
    expect(notes.locator("li")).to_have_count(4)
    fields = notes.locator("li").evaluate_all("l => l.map(n => n.dataset.field)")
    assert sorted(fields) == sorted(
        ["spec", "data.tags", "data.alternate_greetings", "data.system_prompt"]
    )
    expect(notes).to_contain_text("'tags' was a single text")
    page.click("#card-notes-close")
    expect(notes).to_be_hidden()


def test_editing_a_card_shows_every_field_and_saving_it_unchanged_keeps_it(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    page = open_app(context, live_server.url)
    scene_break = "*The door opens.*\n\n---\n\n*Hours later.* Still here?"
    card = Character.new(
        "Captain Rook",
        description="  {{char}} commands a river barge.\n",
        first_mes="*tips hat* Welcome aboard.",
        alternate_greetings=[scene_break, "Mind the rope."],
        system_prompt="{{original}} Stay in character.",
        post_history_instructions="Reply in under 80 words.",
        creator_notes="never sent to the model",
        tags=["river", "captain, retired"],
        creator="someone",
        character_version="1.2",
    )
    path = tmp_path / "rook.png"
    path.write_bytes(write_png_card(card))
    page.set_input_files("#card-file", str(path))
    expect(page.locator("#chat-name")).to_have_text("Captain Rook")

    page.click("#edit-character")
    form = page.locator("#character-form")
    boxes = form.locator("#character-greetings textarea")
    expect(boxes).to_have_count(2)
    expect(boxes.first).to_have_value(scene_break)
    expect(form.locator("[name=post_history_instructions]")).to_have_value(
        "Reply in under 80 words."
    )
    expect(form.locator("[name=creator_notes]")).to_have_value("never sent to the model")
    expect(form.locator("[name=creator]")).to_have_value("someone")
    expect(form.locator("[name=character_version]")).to_have_value("1.2")
    expect(form.locator("[name=tags]")).to_have_value("river, captain, retired")
    expect(form).to_contain_text("{{original}}")
    form.locator("button[value=save]").click()

    with page.expect_download() as saved:
        page.click("#export-json")
    unchanged = tmp_path / "unchanged.json"
    saved.value.save_as(unchanged)
    assert card_data(read_card_file(unchanged.read_bytes())) == card_data(card)

    page.click("#edit-character")
    form.locator("#character-greetings [data-action=remove-greeting]").last.click()
    page.click("#character-add-greeting")
    boxes.last.fill("A new dawn.")
    form.locator("[name=tags]").fill("river, sailor, river")
    form.locator("button[value=save]").click()
    with page.expect_download() as edited_download:
        page.click("#export-json")
    edited_path = tmp_path / "edited.json"
    edited_download.value.save_as(edited_path)
    edited = read_card_file(edited_path.read_bytes())
    assert edited.alternate_greetings == [scene_break, "A new dawn."]
    assert edited.tags == ["river", "sailor"]


def test_malformed_card_is_refused_and_changes_nothing(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    page = open_app(context, live_server.url)
    bad = tmp_path / "bad.json"
    bad.write_text('{"spec": "chara_card_v2", "data": {"description": "no name"}}')
    page.set_input_files("#card-file", str(bad))
    expect(page.locator("#status")).to_have_attribute("data-state", "error")
    expect(page.locator("#status")).to_contain_text("not a character card")
    expect(page.locator("#character-list li")).to_have_count(3)


XSS_REPLY = "\n\n".join(
    [
        "<script>window.__pwned = 1</script>",
        '<img src=x onerror="window.__pwned = 2">',
        "[click](javascript:window.__pwned=3)",
        "![x](javascript:window.__pwned=4)",
        '<svg onload="window.__pwned=5"></svg>',
        '<iframe srcdoc="<script>parent.__pwned=6</script>"></iframe>',
        "[ref][1]\n\n[1]: javascript:window.__pwned=7",
        '<a href="jav&#x61;script:window.__pwned=8">x</a>',
        '<details open ontoggle="window.__pwned=9">',
        "**bold** and `code`",
    ]
)


def test_xss_in_replies_and_cards_runs_no_script(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    route_scripted_engine(context, {"reply": XSS_REPLY, "loadSteps": 2, "tokenDelayMs": 0})
    page = open_app(context, live_server.url)
    evil = Character.new(
        "<img src=x onerror=window.__pwned=10>",
        description="<script>window.__pwned=11</script>",
        first_mes="<img src=x onerror=window.__pwned=12> [x](javascript:window.__pwned=13)",
    )
    path = tmp_path / "evil.png"
    path.write_bytes(write_png_card(evil))
    page.set_input_files("#card-file", str(path))
    expect(page.locator("#chat-name")).to_have_text(evil.name)
    load_model(page)
    say(page, "<script>window.__pwned=14</script>", 2)
    reply = page.locator(".message.assistant").last
    expect(reply.locator(".content strong")).to_have_text("bold")
    links = page.locator("#chat .content a")
    for index in range(links.count()):
        href = (links.nth(index).get_attribute("href") or "").lower()
        assert not href.startswith(("javascript", "data", "vbscript"))
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#chat .content").locator("script, iframe, img, svg, details").count() == 0
    assert page.locator("#chat-name").inner_text() == evil.name  # shown as text, not markup


ROLEPLAY_REPLY = (
    '*She sets the cup down.*\n"Careful, it\'s hot."\n<span style="color: #d33">Steam curls up.</span>'
    ' <b onclick="window.__pwned=1">Really</b> <u>hot</u>, ~~lukewarm~~.<br>She waits.\n\n'
    "> A note from the narrator.\n\n| Tea | Steep |\n| --- | --- |\n| Jasmine | 3 min |"
)


def test_a_roleplay_reply_renders_line_breaks_tables_and_coloured_text(
    context: BrowserContext, live_server: LiveServer
) -> None:
    route_scripted_engine(context, {"reply": ROLEPLAY_REPLY, "loadSteps": 1, "tokenDelayMs": 0})
    page = open_app(context, live_server.url)
    load_model(page)
    say(page, "Tea?", 2)
    content = page.locator(".message.assistant").last.locator(".content")
    expect(content.locator("p").first.locator("br")).to_have_count(3)
    expect(content.locator("span[style]")).to_have_text("Steam curls up.")
    assert content.locator("span[style]").evaluate("n => getComputedStyle(n).color") == (
        "rgb(221, 51, 51)"
    )
    expect(content.locator("b")).to_have_text("Really")
    assert content.locator("b").get_attribute("onclick") is None
    expect(content.locator("u")).to_have_text("hot")
    expect(content.locator("s")).to_have_text("lukewarm")
    expect(content.locator("blockquote")).to_have_text("A note from the narrator.")
    expect(content.locator("table td").first).to_have_text("Jasmine")
    expect(content.locator("table th")).to_have_count(2)
    assert page.evaluate("window.__pwned") is None


def test_a_finished_reply_stays_on_screen_while_it_is_stored(
    context: BrowserContext, live_server: LiveServer
) -> None:
    route_scripted_engine(context, {"reply": "Stored without a gap.", "loadSteps": 1})
    page = open_app(context, live_server.url)
    load_model(page)
    replies = page.locator(".message.assistant").count()
    page.evaluate(
        """() => {
          const chat = document.getElementById("chat");
          window.__fewestReplies = Infinity;
          new MutationObserver(() => {
            const count = chat.querySelectorAll(".message.assistant").length;
            const streaming = chat.querySelector('.message.assistant[data-state="streaming"]');
            if (streaming || window.__fewestReplies !== Infinity)
              window.__fewestReplies = Math.min(window.__fewestReplies, count);
          }).observe(chat, {childList: true, subtree: true, attributes: true});
        }"""
    )
    say(page, "hello", replies + 1)
    expect(page.locator(".message.assistant").last).to_have_attribute("data-id", re.compile("."))
    # From the moment the reply appeared, the chat never showed fewer replies than that.
    assert page.evaluate("window.__fewestReplies") == replies + 1


def test_korean_ui_switch(context: BrowserContext, live_server: LiveServer) -> None:
    page = open_app(context, live_server.url)
    expect(page.locator("#send")).to_have_text("Send")
    page.select_option("#language", "ko")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("#send")).to_have_text("보내기")
    expect(page.locator("#new-chat")).to_have_text("새 채팅")
    expect(page.locator("#model-label")).to_have_text("불러온 모델 없음")
    expect(page.locator("#prompt")).to_have_attribute("placeholder", "채팅하려면 모델을 불러오세요")
    # the built-in characters speak Korean too, and a new chat opens with a Korean greeting
    expect(page.locator("#character-list")).to_contain_text("하늘")
    page.locator("#character-list li", has_text="주노").locator("button").click()
    expect(page.locator("#chat-name")).to_have_text("주노")
    page.click("#new-chat")
    expect(page.locator(".message.assistant").last.locator(".content")).to_contain_text("어서 와!")
    page.reload()
    wait_ready(page)
    expect(page.locator("#send")).to_have_text("보내기")  # the choice is remembered
    # before any model is loaded, the composer's hint is Korean too
    expect(page.locator("#prompt")).to_have_attribute("placeholder", "채팅하려면 모델을 불러오세요")


def test_the_language_travels_with_export_all_data(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    """Preferences are part of "export all data": a fresh browser importing the file gets them."""
    first = browser.new_context(locale="en-US")
    page = open_app(first, live_server.url)
    page.select_option("#language", "ko")
    page.click("#settings-button")
    with page.expect_download() as download:
        page.click("#export-data")
    exported = tmp_path / "export.json"
    download.value.save_as(exported)
    first.close()
    assert json.loads(exported.read_text())["preferences"]["chat.lang"] == "ko"

    fresh = browser.new_context(locale="en-US")
    page = open_app(fresh, live_server.url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("#settings-button")
    expect(page.locator("#settings-dialog")).to_be_visible()
    page.set_input_files("#import-data", str(exported))
    expect(page.locator("#settings-message")).to_be_visible()
    page.reload()
    wait_ready(page)
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    fresh.close()


def test_phone_layout_screenshots(browser: Browser, live_server: LiveServer) -> None:
    """A 390x844 phone: nothing wider than the screen; the drawer opens. Screenshots go to docs/."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        service_workers="block",
        reduced_motion="reduce",
    )
    try:
        route_scripted_engine(
            context, {"reply": "*pours tea* Jasmine today, I think. **Sit.**", "loadSteps": 2}
        )
        page = open_app(context, live_server.url)
        load_model(page)
        say(page, "Something warm, please.", 2)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # the chips say something, in full: the short model name and the sync state
        expect(page.locator("#model-short")).to_have_text("Qwen3-0.6B")
        expect(page.locator("#model-button")).to_have_attribute("aria-label", MODEL)
        expect(page.locator("#sync-short")).to_be_visible()
        expect(page.locator("#sync-short")).not_to_have_text("")
        page.select_option("#language", "ko")
        for chip in ("#model-button", "#sync-indicator", "#language"):
            clipped = page.locator(chip).evaluate("n => n.scrollWidth > n.clientWidth + 1")
            assert not clipped, chip
        page.select_option("#language", "en")
        expect(page.locator("#sidebar")).not_to_be_in_viewport()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "phone-chat.png"))
        page.click("#menu-button")
        expect(page.locator("#sidebar")).to_be_in_viewport()
        page.screenshot(path=str(SCREENSHOTS / "phone-sidebar.png"))
    finally:
        context.close()


def test_desktop_screenshots(browser: Browser, live_server: LiveServer) -> None:
    """The main screens at desktop size, for the README (look at them after a change)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    try:
        route_scripted_engine(
            context,
            {
                "reply": "<think>She asked about the weather; keep it in character.</think>"
                "*squints at the barometer* **Falling fast.** We tie down the cargo, then:\n\n"
                "- reef the mainsail\n- lash the crates\n- coffee, strong",
                "loadSteps": 2,
            },
        )
        page = open_app(context, live_server.url)
        page.locator("#character-list li", has_text="Ilse Marrow").locator("button").click()
        expect(page.locator("#chat-name")).to_have_text("Ilse Marrow")
        page.click("#model-button")
        expect(page.locator("#model-list li").first).to_be_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "model-picker.png"))
        page.click(f"#model-list li[data-model='{MODEL}'] button.load")
        expect(page.locator("#model-button")).to_have_attribute("data-loaded", "yes")
        say(page, "What's the sky telling you?", 2)
        expect(page.locator(".message.assistant").last.locator(".thinking")).to_have_count(1)
        page.screenshot(path=str(SCREENSHOTS / "desktop-chat.png"))
        page.click("#edit-character")
        page.screenshot(path=str(SCREENSHOTS / "character-editor.png"))
    finally:
        context.close()


def test_a_long_chat_renders_a_window_that_slides_as_the_user_scrolls(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    from app.render_window import LIMIT
    from tests.bench.longchat import chat_export

    export = chat_export({"Very long": 300})
    character_id = export["sessions"][0]["character_id"]
    file = tmp_path / "long.json"
    file.write_text(json.dumps(export))
    page = open_app(context, live_server.url)
    page.click("#settings-button")
    expect(page.locator("#settings-dialog")).to_be_visible()
    page.set_input_files("#import-data", str(file))
    expect(page.locator("#settings-message")).to_contain_text("300")
    page.keyboard.press("Escape")
    page.click(f"#character-list li.character[data-id='{character_id}'] button")
    page.click("#session-list li.session >> text='Very long' >> xpath=ancestor::button")
    messages = page.locator("#chat article.message")
    expect(messages.last).to_contain_text("Message 299")
    assert messages.count() < 300 - LIMIT  # not all 300 at once
    for _ in range(200):  # scroll up as a user would, until the first message is there
        if page.locator("#chat article.message", has_text="Message 0:").count():
            break
        page.locator("#chat").evaluate("chat => { chat.scrollTop = 0; }")
        page.wait_for_timeout(50)
    expect(messages.first).to_contain_text("Message 0:")
    assert messages.count() <= LIMIT  # the newest were let go on the way up
    texts = messages.all_text_contents()
    order = [int(t.split("Message ", 1)[1].split(":", 1)[0]) for t in texts]
    assert order == list(range(order[0], order[0] + len(order)))  # in order, none missing
    for _ in range(200):  # and back down to the newest
        if page.locator("#chat article.message", has_text="Message 299:").count():
            break
        page.locator("#chat").evaluate("chat => { chat.scrollTop = chat.scrollHeight; }")
        page.wait_for_timeout(50)
    expect(messages.last).to_contain_text("Message 299:")


LORE_CARD = {
    "spec": "chara_card_v2",
    "spec_version": "2.0",
    "data": {
        "name": "Keeper Vell",
        "description": "{{char}} keeps the lighthouse.",
        "first_mes": "The lamp is lit.",
        "extensions": {"depth_prompt": {"prompt": "CARD-NOTE stay in the storm.", "depth": 0}},
        "character_book": {
            "name": "Vell's book",
            "entries": [
                {
                    "keys": ["lighthouse"],
                    "content": "LORE-LIGHTHOUSE it was built in 1802.",
                    "enabled": True,
                    "insertion_order": 1,
                    "comment": "The lighthouse",
                }
            ],
        },
    },
}
WORLD = {
    "entries": {
        "0": {"uid": 0, "key": ["tea"], "content": "WORLD-TEA is brewed strong.", "order": 100}
    }
}


def last_request(page: Page) -> list[dict[str, str]]:
    return page.evaluate("globalThis.__scriptedEngineLog.requests.at(-1).messages")


def test_lorebooks_personas_and_the_authors_note_reach_the_prompt_and_the_inspector(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    route_scripted_engine(context, {"reply": "Aye.", "loadSteps": 1, "tokenDelayMs": 0})
    page = open_app(context, live_server.url)
    watch = watch_page(page)
    card = tmp_path / "vell.json"
    card.write_text(json.dumps(LORE_CARD))
    page.set_input_files("#card-file", str(card))
    expect(page.locator("#chat-name")).to_have_text("Keeper Vell")
    load_model(page)
    say(page, "Tell me about the lighthouse.", 2)
    sent = last_request(page)
    assert "LORE-LIGHTHOUSE it was built in 1802." in sent[0]["content"]
    assert sent[-1]["content"].endswith("CARD-NOTE stay in the storm.")

    # the inspector shows what was sent and why the entry fired
    page.click("#chat-options")
    options = page.locator("#options-dialog")
    expect(options).to_contain_text("own lorebook (1 entries)")
    page.click("#open-prompt")
    inspector = page.locator("#prompt-dialog")
    expect(inspector.locator(".lore-outcome.fired")).to_contain_text("lighthouse")
    expect(inspector.locator("tr[data-part=lore] td")).not_to_have_text("≈0 tokens")
    expect(inspector.locator(".prompt-message").first).to_contain_text("LORE-LIGHTHOUSE")
    inspector.locator("button[value=close]").click()

    # a persona: its name is {{user}}, its description reaches the prompt
    page.click("#open-personas")
    personas = page.locator("#personas-dialog")
    page.click("#persona-new")
    personas.locator("input[name=persona_name]").fill("Mina")
    personas.locator("textarea[name=persona_description]").fill("MINA-DESC fears the sea.")
    page.click("#persona-save")
    expect(personas.locator("#persona-list")).to_contain_text("Mina")
    personas.locator("button[value=cancel]").click()

    # the author's note and a SillyTavern world bound to this chat
    page.fill("#options-form textarea[name=author_note]", "AN-TEXT be brief.")
    page.fill("#options-form input[name=author_note_depth]", "0")
    page.click("#open-lore")
    world = tmp_path / "Tea house.json"
    world.write_text(json.dumps(WORLD))
    page.set_input_files("#lore-import", str(world))
    lore = page.locator("#lore-dialog")
    expect(lore.locator("#lore-message")).to_contain_text("Tea house")
    expect(lore.locator(".lore-entry textarea")).to_have_value("WORLD-TEA is brewed strong.")
    lore.locator("button[value=cancel]").click()
    expect(options.locator("select[name=world_chat] option")).to_have_count(2)
    options.locator("select[name=world_chat]").select_option("Tea house")
    options.locator("button[value=save]").click()
    expect(options).to_be_hidden()

    say(page, "Some tea, then?", 3)
    assert not watch.errors
    sent = last_request(page)
    system = sent[0]["content"]
    assert "About Mina:\nMINA-DESC fears the sea." in system
    assert "WORLD-TEA is brewed strong." in system
    assert "[Author's note: AN-TEXT be brief.]" in sent[-1]["content"]
    expect(page.locator(".message.user .speaker").last).to_have_text("Mina")

    # editing the card's own book changes what the next reply is sent
    page.click("#chat-options")
    page.click("#open-lore")
    lore.locator("#lore-book").select_option(index=0)
    lore.locator(".lore-entry textarea").fill("LORE-EDITED the lamp is electric now.")
    page.click("#lore-save")
    expect(lore.locator("#lore-message")).to_contain_text("Saved")
    lore.locator("button[value=cancel]").click()
    options.locator("button[value=cancel]").click()
    expect(options).to_be_hidden()
    say(page, "And the lighthouse?", 4)
    assert "LORE-EDITED the lamp is electric now." in last_request(page)[0]["content"]


def test_continue_extends_the_last_reply_and_branch_starts_a_new_chat_from_a_message(
    context: BrowserContext, live_server: LiveServer
) -> None:
    route_scripted_engine(
        context, {"reply": "The tide comes in", "loadSteps": 1, "tokenDelayMs": 0}
    )
    page = open_app(context, live_server.url)
    load_model(page)
    say(page, "What happens at dusk?", 2)
    reply = page.locator(".message.assistant").last
    steer(page, reply="slowly.")
    reply.locator("button.continue").click()
    expect(reply.locator(".content")).to_have_text("The tide comes in slowly.")
    expect(page.locator(".message.assistant")).to_have_count(2)  # the same reply, longer
    sent = page.evaluate("globalThis.__scriptedEngineLog.requests.at(-1).messages")
    assert sent[-2] == {"role": "assistant", "content": "The tide comes in"}
    assert "Continue" in sent[-1]["content"]
    expect(reply).to_have_attribute("data-swipe", "1/1")

    sessions = page.locator("#session-list li")
    before = sessions.count()
    page.locator(".message.user").last.locator("button.branch").click()
    expect(sessions).to_have_count(before + 1)
    expect(page.locator(".message")).to_have_count(2)  # the greeting and the question
    expect(page.locator(".message.user .content")).to_have_text("What happens at dusk?")
    expect(page.locator("#chat-session-title")).to_contain_text("(branch)")
    page.reload()
    wait_ready(page)
    expect(page.locator("#session-list li")).to_have_count(before + 1)


def test_impersonate_writes_the_users_next_message_into_the_composer(
    context: BrowserContext, live_server: LiveServer
) -> None:
    route_scripted_engine(context, {"reply": "Ready?", "loadSteps": 1, "tokenDelayMs": 0})
    page = open_app(context, live_server.url)
    load_model(page)
    say(page, "Hello.", 2)
    steer(page, reply="  I nod and pick up the lantern.  ")
    page.click("#impersonate")
    expect(page.locator("#prompt")).to_have_value("I nod and pick up the lantern.")
    sent = page.evaluate("globalThis.__scriptedEngineLog.requests.at(-1).messages")
    assert sent[-1]["role"] == "user"
    assert "next message" in sent[-1]["content"]
    expect(page.locator(".message")).to_have_count(3)  # nothing stored or shown
    expect(page.locator("#send")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator(".message.user").last.locator(".content")).to_have_text(
        "I nod and pick up the lantern."
    )


def test_a_chat_exports_as_sillytavern_jsonl_and_imports_back_as_a_new_chat(
    context: BrowserContext, live_server: LiveServer, tmp_path: Path
) -> None:
    route_scripted_engine(context, {"reply": "First take.", "loadSteps": 1, "tokenDelayMs": 0})
    page = open_app(context, live_server.url)
    load_model(page)
    say(page, "Tell me a story.", 2)
    steer(page, reply="Second take.")
    page.locator(".message.assistant").last.locator("button.regenerate").click()
    expect(page.locator(".message.assistant").last).to_have_attribute("data-swipe", "2/2")
    page.click("#chat-options")
    with page.expect_download() as exported:
        page.click("#export-chat")
    path = tmp_path / "chat.jsonl"
    exported.value.save_as(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert "user_name" in lines[0]
    assert lines[-1]["mes"] == "Second take."
    assert lines[-1]["swipes"] == ["First take.", "Second take."]
    page.locator("#options-dialog button[value=cancel]").click()

    sessions = page.locator("#session-list li")
    before = sessions.count()
    page.set_input_files("#chat-file", str(path))
    expect(sessions).to_have_count(before + 1)
    expect(page.locator("#status")).to_contain_text("Imported a chat of 3 messages")
    last = page.locator(".message.assistant").last
    expect(last.locator(".content")).to_have_text("Second take.")
    expect(last).to_have_attribute("data-swipe", "2/2")
    page.set_input_files("#chat-file", str(tmp_path / "chat.jsonl"))  # again: another copy
    expect(sessions).to_have_count(before + 2)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("just some text\n")
    page.set_input_files("#chat-file", str(bad))
    expect(page.locator("#status")).to_contain_text("could not be imported")
    expect(sessions).to_have_count(before + 2)
