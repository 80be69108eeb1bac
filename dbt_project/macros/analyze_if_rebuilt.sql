{#- A post-hook for large incremental tables: statistics right after a full build, so that the next
    incremental build and the tests plan with them (autovacuum gets there later, or not before the next
    build). -#}
{% macro analyze_if_rebuilt() -%}
    {%- if not is_incremental() -%}
    analyze {{ this }}
    {%- else -%}
    select 'statistics kept from the full build' as nothing_to_do
    {%- endif -%}
{%- endmacro %}
