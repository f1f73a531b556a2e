"""Settings: defaults < config file < environment < flags, and no insecure fallbacks."""

import hashlib

import pytest

from santegraph.config import Settings, load_settings, settings_doc
from santegraph.errors import ConfigError


def test_defaults_work_from_a_fresh_clone():
    settings = load_settings({}, environ={})
    assert settings.backend == "embedded"
    assert settings.store_location.endswith("var/store")
    assert settings.writes_enabled is False


def test_precedence_is_flags_then_environment_then_file(tmp_path):
    config = tmp_path / "santegraph.toml"
    config.write_text('[santegraph]\nport = 7000\nhost = "0.0.0.0"\nthreads = 3\n')
    environ = {"SANTEGRAPH_CONFIG": str(config), "SANTEGRAPH_PORT": "7500"}
    settings = load_settings({"threads": 5}, environ=environ)
    assert settings.host == "0.0.0.0"  # from the file
    assert settings.port == 7500  # environment beats the file
    assert settings.threads == 5  # flags beat both


def test_unknown_or_malformed_settings_are_clear_errors(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown settings"):
        load_settings({}, environ={}, config_file=config)
    with pytest.raises(ConfigError, match="not a valid"):
        load_settings({}, environ={"SANTEGRAPH_PORT": "eighty"})
    with pytest.raises(ConfigError, match="remote_query_url"):
        load_settings({"backend": "remote"}, environ={})
    with pytest.raises(ConfigError, match="sha256"):
        load_settings({"steward_tokens": "alice:secret"}, environ={})


def test_steward_tokens_are_stored_hashed_and_enable_writes():
    digest = hashlib.sha256(b"a-long-random-token").hexdigest()
    settings = load_settings({"steward_tokens": f"alice:{digest}"}, environ={})
    assert settings.writes_enabled
    assert settings.steward_token_hashes() == {"alice": digest}
    assert settings.masked()["steward_tokens"] == "***"


def test_steward_roles_name_configured_stewards_with_a_known_role():
    alice = "alice:" + hashlib.sha256(b"a-long-random-token").hexdigest()
    bob = "Bob Martin:" + hashlib.sha256(b"another-long-random-token").hexdigest()
    tokens = f"{alice},{bob}"
    settings = load_settings(
        {"steward_tokens": tokens, "steward_roles": "alice:reviewer, Bob Martin:admin"},
        environ={},
    )
    assert settings.steward_role_map() == {"alice": "reviewer", "Bob Martin": "admin"}
    # the lines of steward_tokens keep their form: name:sha256
    assert set(settings.steward_token_hashes()) == {"alice", "Bob Martin"}
    with pytest.raises(ConfigError, match="reviewer, admin"):
        load_settings({"steward_tokens": tokens, "steward_roles": "alice:chef"}, environ={})
    with pytest.raises(ConfigError, match="'carol', who has no entry in steward_tokens"):
        load_settings({"steward_tokens": tokens, "steward_roles": "carol:admin"}, environ={})


def test_two_steward_names_that_the_journal_would_confuse_are_refused():
    digest = hashlib.sha256(b"a-long-random-token").hexdigest()
    with pytest.raises(ConfigError, match="same steward in the journal"):
        load_settings(
            {"steward_tokens": f"Marie Fictive:{digest},marie-fictive:{digest}"}, environ={}
        )


def test_every_setting_is_documented():
    doc = settings_doc()
    for name in Settings.__dataclass_fields__:
        assert f"`{name}`" in doc and f"SANTEGRAPH_{name.upper()}" in doc


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("0", False), ("yes", True)])
def test_boolean_settings_read_words_and_digits(text, expected):
    settings = load_settings({}, environ={"SANTEGRAPH_SECURE_COOKIES": text})
    assert settings.secure_cookies is expected


def test_a_boolean_setting_refuses_other_words():
    with pytest.raises(ConfigError, match="not a boolean"):
        load_settings({}, environ={"SANTEGRAPH_SECURE_COOKIES": "peut-être"})
