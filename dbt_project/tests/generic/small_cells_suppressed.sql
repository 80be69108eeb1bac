{#- Fails on a published count of 1–4, and on a group (cells adding up to a published total) in which exactly
    one of several cells is withheld: that one would be the total minus the others. -#}
{% test small_cells_suppressed(model, group_by, measures, threshold=5) %}
    {%- set groups = group_by | join(', ') -%}
    {%- for measure in measures %}
    select '{{ measure }}' as measure, {{ groups }}, 'count under {{ threshold }} published' as problem
    from {{ model }}
    where {{ measure }} between 1 and {{ threshold - 1 }}
    union all
    select '{{ measure }}' as measure, {{ groups }}, 'a single withheld cell in its group' as problem
    from {{ model }}
    group by {{ groups }}
    having count(*) > 1 and count(*) filter (where {{ measure }} is null) = 1
    {{ "union all" if not loop.last }}
    {%- endfor %}
{% endtest %}
