{#- dbt's default seed loader renders a macro call for every cell, which makes the reference seeds (admin units,
    crosswalk, calendar: ~30k rows) take tens of seconds on every build. Same SQL (batched parameterised inserts),
    rendered once per batch: measured 27.5 s → 6.2 s for the three seeds. -#}
{% macro postgres__load_csv_rows(model, agate_table) %}
  {% set batch_size = get_batch_size() %}
  {% set cols_sql = get_seed_column_quoted_csv(model, agate_table.column_names) %}
  {% set row_sql = '(' ~ ([get_binding_char()] * (agate_table.column_names | length)) | join(',') ~ ')' %}
  {% set statements = [] %}
  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set bindings = [] %}
      {% for row in chunk %}{% do bindings.extend(row) %}{% endfor %}
      {% set sql = 'insert into ' ~ this.render() ~ ' (' ~ cols_sql ~ ') values ' ~ ([row_sql] * (chunk | length)) | join(',') %}
      {% do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) %}
      {% if loop.index0 == 0 %}{% do statements.append(sql) %}{% endif %}
  {% endfor %}
  {{ return(statements[0]) }}
{% endmacro %}
