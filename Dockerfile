# One image for Kho's processes: the pipeline (kho), Airflow components and the simulators.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/kho
COPY pyproject.toml constraints.txt README.md ./
COPY kho ./kho
COPY ingest ./ingest
COPY simulators ./simulators
RUN pip install --no-cache-dir -c constraints.txt -e ".[airflow]"
COPY . .
ENV KHO_HOME=/var/lib/kho KHO_OPEN_DATA_DIR=/srv/open_data
CMD ["kho", "run"]
