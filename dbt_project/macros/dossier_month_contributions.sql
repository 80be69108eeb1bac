{#- What each dossier adds to the monthly counts of its receiving agency, one row per (agency, month) it
    counts in: received, by channel and fee, in the month of receipt; resolved (on time) in the month of
    resolution; overdue in progress in every month at whose end (at `as_of`, the data's last update, for the
    month holding it) it was open past its due date. Not refused (3), withdrawn (7) or stopped (8): those end
    without a result or a finishing time. The one definition of these counts: int_dossier_agency_month_counts
    sums it over every dossier, or over the changed ones (`sign` -1 for the version counted before) and the
    months from `from_month` (a date) on, or before `before_month`. `dossiers` names a relation with
    fct_dossiers' columns. -#}
{% macro dossier_month_contributions(dossiers, as_of, sign=1, from_month=none, before_month=none) -%}
    {%- set zero = '0' -%}
    select
        {{ dossiers }}.receiving_agency_code as agency_code,
        {{ dossiers }}.received_month as month,
        {{ sign }} as dossiers_received,
        {{ sign }} * ({{ dossiers }}.channel = 'online')::integer as dossiers_received_online,
        {{ sign }} * ({{ dossiers }}.channel = 'direct')::integer as dossiers_received_direct,
        {{ sign }} * ({{ dossiers }}.channel = 'postal')::integer as dossiers_received_postal,
        {{ sign }} * {{ dossiers }}.has_fee::integer as dossiers_with_fee,
        {{ sign }} * ({{ dossiers }}.has_fee and {{ dossiers }}.is_paid_online)::integer
            as dossiers_paid_online,
        {{ zero }} as dossiers_resolved,
        {{ zero }} as dossiers_resolved_on_time,
        {{ zero }} as dossiers_overdue_in_progress
    from {{ dossiers }}
    where true
        {%- if from_month %} and {{ dossiers }}.received_month >= {{ from_month }}{% endif %}
        {%- if before_month %} and {{ dossiers }}.received_month < {{ before_month }}{% endif %}

    union all

    select
        {{ dossiers }}.receiving_agency_code,
        {{ dossiers }}.resolved_month,
        {{ zero }}, {{ zero }}, {{ zero }}, {{ zero }}, {{ zero }}, {{ zero }},
        {{ sign }},
        {{ sign }} * {{ dossiers }}.is_on_time::integer,
        {{ zero }}
    from {{ dossiers }}
    where {{ dossiers }}.is_resolved
        {%- if from_month %} and {{ dossiers }}.resolved_month >= {{ from_month }}{% endif %}
        {%- if before_month %} and {{ dossiers }}.resolved_month < {{ before_month }}{% endif %}

    union all

    select
        {{ dossiers }}.receiving_agency_code,
        overdue_months.month_start::date,
        {{ zero }}, {{ zero }}, {{ zero }}, {{ zero }}, {{ zero }}, {{ zero }}, {{ zero }}, {{ zero }},
        {{ sign }}
    from {{ dossiers }}
    cross join lateral (
        select coalesce({{ dossiers }}.finished_at, {{ as_of }}) as open_until
    ) as span
    cross join lateral generate_series(
        {%- if from_month %}
        greatest(
            date_trunc('month', {{ dossiers }}.due_at at time zone 'Asia/Ho_Chi_Minh'), {{ from_month }}
        ),
        {%- else %}
        date_trunc('month', {{ dossiers }}.due_at at time zone 'Asia/Ho_Chi_Minh'),
        {%- endif %}
        {%- if before_month %}
        least(date_trunc('month', span.open_until at time zone 'Asia/Ho_Chi_Minh'), {{ before_month }} - 1),
        {%- else %}
        date_trunc('month', span.open_until at time zone 'Asia/Ho_Chi_Minh'),
        {%- endif %}
        interval '1 month'
    ) as overdue_months (month_start)
    cross join lateral (
        select least(
            (overdue_months.month_start + interval '1 month') at time zone 'Asia/Ho_Chi_Minh', {{ as_of }}
        ) as observed_at
    ) as observation
    where {{ dossiers }}.status_code not in (3, 7, 8)
        and {{ dossiers }}.due_at is not null
        and span.open_until > {{ dossiers }}.due_at
        and {{ dossiers }}.due_at < observation.observed_at
        and span.open_until >= observation.observed_at
{%- endmacro %}
