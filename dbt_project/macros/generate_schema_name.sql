{#- Layers live in schemas named for them (staging, warehouse, marts), not <target>_<layer>:
    agencies and roles are granted schemas by these names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
