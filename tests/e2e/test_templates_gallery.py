"""Templates in the browser: an include, publishing to the gallery, another user forking it, and
the author comparing versions and restoring one."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from plot_palette.local.cloud import LocalCloud
from tests.e2e.test_dashboard import PASSWORD, sign_up_and_sign_in

STYLE_YAML = """name: Iambic style
steps:
  - id: style
    model_tier: tier-1
    prompt: Write in iambic pentameter.
"""


def main_yaml(style_id: str, ending: str) -> str:
    return f"""name: Gallery sonnets
description: sonnets about a poem, in a house style
steps:
  - id: sonnet
    model_tier: tier-1
    max_tokens: 80
    prompt: '{{% include "{style_id}" %}} A sonnet about {{{{ poem.title }}}}{ending}'
"""


def save_new_template(page: Page, text: str) -> str:
    page.get_by_role("button", name="New template").click()
    page.get_by_role("button", name="Edit as plain text").click()
    page.get_by_label("Template YAML").fill(text)
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_text("Saved as a new template, version 1.")).to_be_visible()
    return page.get_by_test_id("template-id").inner_text().strip()


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("user-email")).to_have_text(email)


def test_include_publish_fork_diff_and_restore(page: Page, cloud: LocalCloud) -> None:
    # Alice writes a template that includes another of hers, and publishes it
    sign_up_and_sign_in(page, cloud, "author@example.com")
    page.get_by_role("link", name="Templates").click()
    style_id = save_new_template(page, STYLE_YAML)
    main_id = save_new_template(page, main_yaml(style_id, "."))
    page.get_by_role("button", name="Publish").click()
    page.get_by_label("Tags (comma-separated)").fill("poetry, sonnets")
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_test_id("published")).to_contain_text("gal-")
    page.shots("published")  # type: ignore[attr-defined]
    # and saves a second version
    page.get_by_label("Template YAML").fill(main_yaml(style_id, ", with a volta."))
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_text("Saved version 2.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # Bob finds it in the gallery and forks it
    sign_up_and_sign_in(page, cloud, "reader@example.com")
    page.get_by_role("link", name="Gallery").click()
    page.get_by_label("Search").fill("sonnets")
    card = page.get_by_test_id("gallery-card").filter(has_text="Gallery sonnets")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("fork-count")).to_have_text("0 forks")
    expect(card).not_to_contain_text("author@example.com")
    page.shots("gallery")  # type: ignore[attr-defined]
    card.get_by_role("button", name="Fork Gallery sonnets").click()
    page.wait_for_url("**/templates?template=tpl-*")
    expect(page.get_by_test_id("template-version")).to_have_text("1")
    fork_id = page.get_by_test_id("template-id").inner_text().strip()
    assert fork_id not in (main_id, style_id)
    page.get_by_role("button", name="Edit as plain text").click()
    # the fork holds the included text written out: nothing of Alice's private templates
    editor = page.get_by_label("Template YAML")
    expect(editor).to_have_value(
        re.compile(r"prompt: Write in iambic pentameter\. A sonnet about \{\{ poem\.title \}\}\.\n")
    )
    forked_text = editor.input_value()
    assert f"id: {fork_id}\n" in forked_text, forked_text
    assert "include" not in forked_text and style_id not in forked_text, forked_text
    assert main_id not in forked_text, forked_text
    rows = page.get_by_role("button", name="Gallery sonnets", exact=True)
    expect(rows).to_have_count(1)
    page.shots("forked")  # type: ignore[attr-defined]
    page.get_by_role("link", name="Gallery").click()
    expect(
        page.get_by_test_id("gallery-card")
        .filter(has_text="Gallery sonnets")
        .get_by_test_id("fork-count")
    ).to_have_text("1 fork")
    page.get_by_role("button", name="Sign out").click()

    # Alice compares version 1 with version 2 and restores version 1 as version 3
    sign_in(page, "author@example.com")
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("button", name="Gallery sonnets", exact=True).click()
    expect(page.get_by_test_id("template-version")).to_have_text("2")
    page.get_by_role("button", name="Compare version 1 with version 2").click()
    diff = page.get_by_test_id("template-diff")
    expect(diff.locator(".diff-remove")).to_contain_text("sonnet about {{ poem.title }}.'")
    # the long prompt line wraps in the YAML, so version 2 adds two lines; one ends the volta
    expect(diff.locator(".diff-add").filter(has_text="with a volta.")).to_have_count(1)
    page.shots("diff")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_text("Restored version 1 as version 3.")).to_be_visible()
    expect(page.get_by_test_id("template-version")).to_have_text("3")
    expect(page.get_by_role("button", name="v3")).to_be_visible()
    page.shots("restored")  # type: ignore[attr-defined]


def test_export_a_version_as_yaml_and_import_it_as_a_new_template(
    page: Page, cloud: LocalCloud, expected_console: list[str]
) -> None:
    sign_up_and_sign_in(page, cloud, "porter@example.com")
    page.get_by_role("link", name="Templates").click()
    original_id = save_new_template(page, STYLE_YAML)

    # the export is the saved version as a YAML file
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export YAML").click()
    download = download_info.value
    assert download.suggested_filename == f"{original_id}-v1.yaml"
    path = download.path()
    assert path is not None
    exported = path.read_text(encoding="utf-8")
    assert "name: Iambic style" in exported and "prompt: Write in iambic pentameter." in exported
    page.shots("exported")  # type: ignore[attr-defined]

    # a file that is not a template is refused with the reason, and nothing is imported
    expected_console.append("400")  # the browser logs the refused import as a failed load
    page.get_by_role("button", name="Import YAML").click()
    page.get_by_label("YAML file").set_input_files(
        {"name": "broken.yaml", "mimeType": "application/yaml", "buffer": b"steps: [\n"}
    )
    expect(page.get_by_label("or paste the YAML")).to_have_value("steps: [\n")
    page.get_by_role("button", name="Import as a new template").click()
    expect(page.get_by_test_id("import-error")).to_contain_text("Nothing was imported")
    expect(page.get_by_role("button", name="Iambic style", exact=True)).to_have_count(1)

    # the exported file, renamed, comes back as a new template (version 1) of this user's
    renamed = exported.replace("name: Iambic style", "name: Imported iambs")
    page.get_by_label("YAML file").set_input_files(
        {"name": "iambs.yaml", "mimeType": "application/yaml", "buffer": renamed.encode()}
    )
    expect(page.get_by_label("or paste the YAML")).to_have_value(renamed)
    page.get_by_role("button", name="Import as a new template").click()
    expect(page.get_by_test_id("template-version")).to_have_text("1")
    expect(page.get_by_test_id("template-id")).not_to_have_text(original_id)
    imported_id = page.get_by_test_id("template-id").inner_text().strip()
    assert imported_id.startswith("tpl-"), imported_id
    expect(page.get_by_role("button", name="Imported iambs", exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name="Iambic style", exact=True)).to_have_count(1)
    page.get_by_role("button", name="Edit as plain text").click()
    text = page.get_by_label("Template YAML")
    expect(text).to_have_value(re.compile(r"prompt: Write in iambic pentameter\."))
    expect(text).to_have_value(re.compile(r"name: Imported iambs"))
    page.shots("imported")  # type: ignore[attr-defined]
