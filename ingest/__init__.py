"""Sources → raw: extract since the watermark, validate against the contract, COPY, merge, log. No Airflow here."""
