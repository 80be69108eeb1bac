{#- The level-1 code (MX1X2: a province's H.., a central body's G..) of an agency identifier in either form
    QCVN 102:2016 allows: the 13-character `V1V2V3.Z1Z2.Y1Y2.MX1X2`, read right to left, or the longer form of
    Decision 20/2020/QĐ-TTg, written left to right from the level-1 code. -#}
{% macro agency_level1_code(code_column) -%}
    case
        when {{ code_column }} ~ '^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$'
            then right({{ code_column }}, 3)
        else split_part({{ code_column }}, '.', 1)
    end
{%- endmacro %}
