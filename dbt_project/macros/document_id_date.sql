{#- The date of issue an edXML DocumentId carries (`OrganId,yyyy/mm/dd,Số/Ký hiệu`), or null when it is not a
    day of the calendar: the ingest contract checks the digits, not the calendar, and one impossible date must
    not stop a build. Nested cases fix the order of evaluation (PostgreSQL may evaluate `and` in any order). -#}
{% macro document_id_date(document_id) -%}
    {%- set day_text = "split_part(" ~ document_id ~ ", ',', 2)" -%}
    case
        when {{ day_text }} ~ '^[0-9]{4}/(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])$'
            then case
                when substr({{ day_text }}, 9, 2)::integer <= extract(
                    day from date_trunc('month', to_date(substr({{ day_text }}, 1, 7), 'YYYY/MM'))
                    + interval '1 month - 1 day'
                )
                    then to_date({{ day_text }}, 'YYYY/MM/DD')
            end
    end
{%- endmacro %}
