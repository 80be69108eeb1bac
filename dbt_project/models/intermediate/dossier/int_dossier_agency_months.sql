{{ config(materialized='table') }}
-- One row per receiving agency and month with every dossier count the KPI marts publish. Received, channel and
-- fee counts fall in the month of receipt; resolved counts in the month of resolution; the overdue count is the
-- stock of dossiers in progress past their due date at the end of the month (at the data's last update for the
-- current month).
with dossiers as (
    select * from {{ ref('fct_dossiers') }}
),

agencies as (
    select * from {{ ref('dim_agencies') }}
),

data_as_of as (
    select max(source_updated_at) as as_of from dossiers
),

received_by_agency_month as (
    select
        receiving_agency_code as agency_code,
        received_month as month,
        count(*) as dossiers_received,
        count(*) filter (where channel = 'online') as dossiers_received_online,
        count(*) filter (where channel = 'direct') as dossiers_received_direct,
        count(*) filter (where channel = 'postal') as dossiers_received_postal,
        count(*) filter (where has_fee) as dossiers_with_fee,
        count(*) filter (where has_fee and is_paid_online) as dossiers_paid_online
    from dossiers
    group by receiving_agency_code, received_month
),

resolved_by_agency_month as (
    select
        receiving_agency_code as agency_code,
        resolved_month as month,
        count(*) as dossiers_resolved,
        count(*) filter (where is_on_time) as dossiers_resolved_on_time
    from dossiers
    where is_resolved
    group by receiving_agency_code, resolved_month
),

-- Dossiers that were still open after their due date: not refused (3), withdrawn (7) or stopped (8), which end
-- without a result and without a finishing time.
overdue_spans as (
    select
        dossiers.receiving_agency_code,
        dossiers.due_at,
        coalesce(dossiers.finished_at, data_as_of.as_of) as open_until
    from dossiers
    cross join data_as_of
    where dossiers.status_code not in (3, 7, 8)
        and dossiers.due_at is not null
        and coalesce(dossiers.finished_at, data_as_of.as_of) > dossiers.due_at
),

overdue_by_agency_month as (
    select
        overdue_spans.receiving_agency_code as agency_code,
        months.month_start::date as month,
        count(*) as dossiers_overdue_in_progress
    from overdue_spans
    cross join data_as_of
    cross join lateral generate_series(
        date_trunc('month', overdue_spans.due_at at time zone 'Asia/Ho_Chi_Minh'),
        date_trunc('month', overdue_spans.open_until at time zone 'Asia/Ho_Chi_Minh'),
        interval '1 month'
    ) as months (month_start)
    cross join lateral (
        select least(
            (months.month_start + interval '1 month') at time zone 'Asia/Ho_Chi_Minh', data_as_of.as_of
        ) as observed_at
    ) as observation
    where overdue_spans.due_at < observation.observed_at
        and overdue_spans.open_until >= observation.observed_at
    group by overdue_spans.receiving_agency_code, months.month_start
),

agency_months as (
    select agency_code, month from received_by_agency_month
    union
    select agency_code, month from resolved_by_agency_month
    union
    select agency_code, month from overdue_by_agency_month
),

-- The agency directory's version that held during the month (the latest, when a code changed hands in it).
agency_of_month as (
    select distinct on (agency_months.agency_code, agency_months.month)
        agency_months.agency_code,
        agency_months.month,
        agencies.agency_name,
        agencies.level
    from agency_months
    inner join agencies
        on agencies.agency_code = agency_months.agency_code
        and agencies.valid_from < agency_months.month + interval '1 month'
        and (agencies.valid_to is null or agencies.valid_to >= agency_months.month)
    order by agency_months.agency_code, agency_months.month, agencies.valid_from desc
),

-- The dossier system's own name for an agency the directory does not list.
names_in_dossiers as (
    select distinct on (receiving_agency_code)
        receiving_agency_code as agency_code,
        receiving_agency_name as agency_name
    from dossiers
    order by receiving_agency_code, source_updated_at desc, dossier_code desc
),

counts_by_agency_month as (
    select
        agency_months.agency_code,
        agency_months.month,
        coalesce(agency_of_month.agency_name, names_in_dossiers.agency_name) as agency_name,
        coalesce(agency_of_month.level, 'unknown') as agency_level,
        coalesce(received.dossiers_received, 0)::integer as dossiers_received,
        coalesce(received.dossiers_received_online, 0)::integer as dossiers_received_online,
        coalesce(received.dossiers_received_direct, 0)::integer as dossiers_received_direct,
        coalesce(received.dossiers_received_postal, 0)::integer as dossiers_received_postal,
        coalesce(received.dossiers_with_fee, 0)::integer as dossiers_with_fee,
        coalesce(received.dossiers_paid_online, 0)::integer as dossiers_paid_online,
        coalesce(resolved.dossiers_resolved, 0)::integer as dossiers_resolved,
        coalesce(resolved.dossiers_resolved_on_time, 0)::integer as dossiers_resolved_on_time,
        coalesce(overdue.dossiers_overdue_in_progress, 0)::integer as dossiers_overdue_in_progress
    from agency_months
    left join received_by_agency_month as received
        on agency_months.agency_code = received.agency_code and agency_months.month = received.month
    left join resolved_by_agency_month as resolved
        on agency_months.agency_code = resolved.agency_code and agency_months.month = resolved.month
    left join overdue_by_agency_month as overdue
        on agency_months.agency_code = overdue.agency_code and agency_months.month = overdue.month
    left join agency_of_month
        on agency_months.agency_code = agency_of_month.agency_code and agency_months.month = agency_of_month.month
    left join names_in_dossiers on agency_months.agency_code = names_in_dossiers.agency_code
)

select * from counts_by_agency_month
