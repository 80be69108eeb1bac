with dossiers as (
    select * from {{ ref('stg_dossier__dossiers') }}
),

dossiers_with_outcome as (
    select
        dossier_code,
        procedure_code,
        procedure_name,
        field_name,
        receiving_agency_code,
        receiving_agency_name,
        channel,
        applicant_kind,
        submitted_at,
        received_at,
        due_at,
        finished_at,
        returned_at,
        status_code,
        status_code in (9, 10) and finished_at is not null as is_resolved,
        case
            when status_code in (9, 10) and finished_at is not null
                then due_at is null or finished_at <= due_at
        end as is_on_time,
        (date_trunc('month', received_at at time zone 'Asia/Ho_Chi_Minh'))::date as received_month,
        case
            when status_code in (9, 10) and finished_at is not null
                then (date_trunc('month', finished_at at time zone 'Asia/Ho_Chi_Minh'))::date
        end as resolved_month,
        fee_vnd,
        is_paid_online,
        source_updated_at
    from dossiers
)

select * from dossiers_with_outcome
