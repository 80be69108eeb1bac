# One image for Kho's processes: the pipeline (kho), the Airflow 3 components and the simulators.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/kho
COPY pyproject.toml constraints.txt README.md ./
COPY kho ./kho
COPY ingest ./ingest
COPY simulators ./simulators
# Kho with Airflow and cosmos ([airflow], pinned by constraints.txt), plus the Celery executor the compose
# deployment uses (pins resolved against constraints.txt; the single-machine `airflow standalone` needs none).
RUN pip install --no-cache-dir -c constraints.txt -e ".[airflow]" \
    apache-airflow-providers-celery==3.26.0 celery==5.7.0 kombu==5.7.0 redis==8.1.0 amqp==5.4.2 billiard==4.3.2 \
    vine==5.1.0 flower==2.2.0 tornado==6.6.1 click-didyoumean==0.3.1 click-plugins==1.1.1.2 click-repl==0.4.1 \
    prompt_toolkit==3.0.53 prometheus_client==0.26.0 wcwidth==0.9.4
COPY . .
ENV KHO_HOME=/var/lib/kho KHO_OPEN_DATA_DIR=/srv/open_data AIRFLOW_HOME=/opt/airflow
CMD ["kho", "run"]
