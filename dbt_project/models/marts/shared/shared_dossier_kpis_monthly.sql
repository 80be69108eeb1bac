with agency_months as (
    select * from {{ ref('int_dossier_agency_months') }}
),

kpis as (
    select
        month,
        agency_code,
        agency_name,
        agency_level,
        dossiers_received,
        dossiers_received_online,
        dossiers_received_direct,
        dossiers_received_postal,
        {{ safe_rate_pct('dossiers_received_online', 'dossiers_received') }} as online_rate_pct,
        dossiers_resolved,
        dossiers_resolved_on_time,
        {{ safe_rate_pct('dossiers_resolved_on_time', 'dossiers_resolved') }} as on_time_rate_pct,
        dossiers_with_fee,
        dossiers_paid_online,
        {{ safe_rate_pct('dossiers_paid_online', 'dossiers_with_fee') }} as online_payment_rate_pct,
        dossiers_overdue_in_progress
    from agency_months
)

select * from kpis
