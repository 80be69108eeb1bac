"""Alerts go to the log always, to a webhook when configured, and never raise when a channel is broken."""

from __future__ import annotations

import logging

import pytest

from kho.alerts import Alert, AlertChannels, send_alert
from tests.dags.airflow_run import webhook_receiver


def test_an_alert_is_logged_and_posted_as_json_to_the_webhook(caplog: pytest.LogCaptureFixture) -> None:
    alert = Alert("[Kho] kho_ingest_health.ingest_health failed", "Thư mục thả tệp không đọc được",
                  {"dag_id": "kho_ingest_health", "task_id": "ingest_health"})
    with webhook_receiver() as (url, received), caplog.at_level(logging.ERROR, logger="kho.alerts"):
        reached = send_alert(alert, AlertChannels.from_env({"KHO_ALERT_WEBHOOK_URL": url}))
    assert reached == ["log", "webhook"]
    assert received == [{"subject": alert.subject, "text": "Thư mục thả tệp không đọc được",
                         "dag_id": "kho_ingest_health", "task_id": "ingest_health"}]
    assert alert.subject in caplog.text


def test_a_broken_channel_is_logged_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    channels = AlertChannels.from_env({"KHO_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hook",
                                       "KHO_ALERT_SMTP_HOST": "127.0.0.1", "KHO_ALERT_SMTP_PORT": "9",
                                       "KHO_ALERT_SMTP_TO": "ops@example.vn"})
    with caplog.at_level(logging.WARNING, logger="kho.alerts"):
        assert send_alert(Alert("s", "t"), channels) == ["log"]
    assert "webhook" in caplog.text and "e-mail" in caplog.text


def test_without_configuration_only_the_log_is_used() -> None:
    assert send_alert(Alert("s", "t"), AlertChannels.from_env({})) == ["log"]
