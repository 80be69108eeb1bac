{#- Join condition from a fact to dim_agencies: the identifier AND the day. An identifier can belong to different
    agencies over time (Vĩnh Long's departments reuse theirs on 1 July 2025), so a code alone may match two
    versions; the version whose validity [valid_from, valid_to] holds the day is the agency of that day.
    `agencies` is the alias dim_agencies has in the join.
    Usage: left join agencies as issuing_agencies
               on {{ agency_on('documents.issuing_agency_code', 'documents.issued_date', 'issuing_agencies') }} -#}
{% macro agency_on(code_column, date_column, agencies='agencies') -%}
    {{ agencies }}.agency_code = {{ code_column }}
    and {{ date_column }} >= {{ agencies }}.valid_from
    and ({{ date_column }} <= {{ agencies }}.valid_to or {{ agencies }}.valid_to is null)
{%- endmacro %}
