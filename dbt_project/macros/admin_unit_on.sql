{#- Join condition from a fact to dim_admin_units: the unit code AND the day. A code can name two units over time
    (00004 was Phường Trúc Bạch until 30 June 2025 and is Phường Ba Đình since; 80 was Long An and is Tây Ninh),
    so a code alone may match two versions; the version whose validity [valid_from, valid_to] holds the day is
    the unit of that day. `units` is the alias dim_admin_units has in the join.
    By the units of the fact's date:  units.unit_code, units.unit_name, units.province_code
    By today's units:                 units.current_unit_code, units.current_unit_name, units.current_province_code
    Usage: left join {{ ref('dim_admin_units') }} as units
               on {{ admin_unit_on('dossiers.admin_unit_code', 'dossiers.received_date') }} -#}
{% macro admin_unit_on(code_column, date_column, units='units') -%}
    {{ units }}.unit_code = {{ code_column }}
    and {{ date_column }} >= {{ units }}.valid_from
    and ({{ date_column }} <= {{ units }}.valid_to or {{ units }}.valid_to is null)
{%- endmacro %}
