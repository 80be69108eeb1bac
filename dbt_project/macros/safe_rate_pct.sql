{#- A percentage rounded to two decimals (half away from zero), null when there is no denominator. -#}
{% macro safe_rate_pct(numerator, denominator) -%}
    case when {{ denominator }} > 0
        then round(100.0 * {{ numerator }} / {{ denominator }}, 2)
    end
{%- endmacro %}
