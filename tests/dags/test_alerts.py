"""Alerts go to the log always, to a webhook and by e-mail when configured, and never raise when a channel is
broken."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from kho.alerts import Alert, AlertChannels, alert_from_airflow_context, send_alert
from tests.dags.airflow_run import smtp_receiver, webhook_receiver


def test_an_alert_is_logged_and_posted_as_json_to_the_webhook(caplog: pytest.LogCaptureFixture) -> None:
    alert = Alert("[Kho] kho_ingest_health.ingest_health failed", "Thư mục thả tệp không đọc được",
                  {"dag_id": "kho_ingest_health", "task_id": "ingest_health"})
    with webhook_receiver() as (url, received), caplog.at_level(logging.ERROR, logger="kho.alerts"):
        reached = send_alert(alert, AlertChannels.from_env({"KHO_ALERT_WEBHOOK_URL": url}))
    assert reached == ["log", "webhook"]
    assert received == [{"subject": alert.subject, "text": "Thư mục thả tệp không đọc được",
                         "dag_id": "kho_ingest_health", "task_id": "ingest_health"}]
    assert alert.subject in caplog.text


def test_an_alert_is_mailed_through_smtp_with_the_dag_the_task_and_the_error() -> None:
    # What Airflow hands the failure callback, reduced to what the alert reads.
    ti = SimpleNamespace(dag_id="kho_ingest_health", task_id="ingest_health", run_id="manual__2026-11-01",
                         try_number=6)
    error = FileNotFoundError("health: thư mục thả tệp /srv/drops/y-te không tồn tại")
    alert = alert_from_airflow_context({"ti": ti, "exception": error, "logical_date": "2026-11-01T00:00:00+07:00"})
    with smtp_receiver() as (port, received):
        reached = send_alert(alert, AlertChannels.from_env({
            "KHO_ALERT_SMTP_HOST": "127.0.0.1", "KHO_ALERT_SMTP_PORT": str(port), "KHO_ALERT_SMTP_STARTTLS": "false",
            "KHO_ALERT_SMTP_USER": "kho", "KHO_ALERT_SMTP_PASSWORD": "s3cret-khau",
            "KHO_ALERT_SMTP_FROM": "kho@sotttt.example.vn",
            "KHO_ALERT_SMTP_TO": "truc-ca@sotttt.example.vn, data@sotttt.example.vn"}))
    assert reached == ["log", "smtp"]
    [mail] = received
    assert mail["auth"] == ("kho", "s3cret-khau")
    assert mail["from"] == "kho@sotttt.example.vn"
    assert mail["to"] == ["truc-ca@sotttt.example.vn", "data@sotttt.example.vn"]
    message = mail["message"]
    assert message["Subject"] == "[Kho] kho_ingest_health.ingest_health failed"
    body = message.get_content()
    assert "kho_ingest_health.ingest_health (manual__2026-11-01) failed: FileNotFoundError: health: thư mục" in body
    assert '"dag_id": "kho_ingest_health"' in body and '"task_id": "ingest_health"' in body
    assert '"try_number": 6' in body


def test_a_password_in_vietnamese_reaches_the_smtp_server_intact() -> None:
    alert = alert_from_airflow_context({"ti": SimpleNamespace(dag_id="kho_build", task_id="gate_after_build",
                                                              run_id="manual", try_number=1),
                                        "exception": RuntimeError("gate failed")})
    with smtp_receiver() as (port, received):
        reached = send_alert(alert, AlertChannels.from_env({
            "KHO_ALERT_SMTP_HOST": "127.0.0.1", "KHO_ALERT_SMTP_PORT": str(port), "KHO_ALERT_SMTP_STARTTLS": "false",
            "KHO_ALERT_SMTP_USER": "trực-ca", "KHO_ALERT_SMTP_PASSWORD": "mật-khẩu-Đà-Lạt",
            "KHO_ALERT_SMTP_TO": "truc-ca@sotttt.example.vn"}))
    assert reached == ["log", "smtp"]
    assert received[0]["auth"] == ("trực-ca", "mật-khẩu-Đà-Lạt")


def test_a_broken_channel_is_logged_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    channels = AlertChannels.from_env({"KHO_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hook",
                                       "KHO_ALERT_SMTP_HOST": "127.0.0.1", "KHO_ALERT_SMTP_PORT": "9",
                                       "KHO_ALERT_SMTP_TO": "ops@example.vn"})
    with caplog.at_level(logging.WARNING, logger="kho.alerts"):
        assert send_alert(Alert("s", "t"), channels) == ["log"]
    assert "webhook" in caplog.text and "e-mail" in caplog.text


def test_without_configuration_only_the_log_is_used() -> None:
    assert send_alert(Alert("s", "t"), AlertChannels.from_env({})) == ["log"]
