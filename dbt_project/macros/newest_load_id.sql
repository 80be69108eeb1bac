{#- The newest load an existing table holds, as a literal (0 when empty, or while parsing): an incremental
    model filters its batch with it, so the planner estimates the batch from the statistics and uses the
    indexes (a subquery in its place is estimated at a third of the table). -#}
{% macro newest_load_id(relation, load_id_column='load_id') -%}
    {%- if not execute -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set newest = run_query('select coalesce(max(' ~ load_id_column ~ '), 0) from ' ~ relation) -%}
    {{ return(newest.columns[0].values()[0]) }}
{%- endmacro %}
