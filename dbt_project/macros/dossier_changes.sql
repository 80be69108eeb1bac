{#- The dossier versions fct_dossiers' merges replace, kept until the agency-month counts have taken them in.
    A monthly count depends on a dossier's months (receipt, resolution, the months it was overdue), and a late
    update can move them; once the fact is merged, the months the dossier was counted in are gone. So the
    fact's pre-hook (record_dossier_changes) writes, for every dossier its merge is about to insert or
    replace, the version it replaces (the columns the counts read), in the merge's own transaction; a rebuilt
    fact writes one 'rebuilt' row instead. int_dossier_agency_month_counts locks the log, takes out the old
    versions' counts and adds the new ones, and empties the log in its own transaction (take_dossier_changes,
    clear_dossier_changes): a build that stops between the two leaves the log for the next one. -#}

{% macro dossier_changes_relation(fact) -%}
    {{ return(fact.incorporate(path={'identifier': fact.identifier ~ '_changes'})) }}
{%- endmacro %}


{% macro create_dossier_changes(changes) -%}
    create table if not exists {{ changes }} (
        change_id bigint generated always as identity primary key,
        change_kind text not null,
        dossier_code text,
        load_id bigint,
        receiving_agency_code text,
        channel text,
        has_fee boolean,
        is_paid_online boolean,
        received_month date,
        is_resolved boolean,
        is_on_time boolean,
        resolved_month date,
        status_code smallint,
        due_at timestamptz,
        finished_at timestamptz,
        source_updated_at timestamptz,
        recorded_at timestamptz not null default now()
    );
    comment on table {{ changes }} is
        'Dossier versions replaced by merges of fct_dossiers (change_kind inserted: none; '
        'rebuilt: the whole fact), '
        'until int_dossier_agency_month_counts takes them in (macros/dossier_changes.sql).'
{%- endmacro %}


{#- fct_dossiers' pre-hook. The batch is the one the model's SQL merges: staging rows of loads newer than the
    fact's newest; the model reads its upper bound from this log, so a load that commits meanwhile waits for
    the next build. -#}
{% macro record_dossier_changes() -%}
    {%- set changes = dossier_changes_relation(this) -%}
    {{ create_dossier_changes(changes) }};
    {%- if is_incremental() %}
    insert into {{ changes }} (
        change_kind, dossier_code, load_id, receiving_agency_code, channel, has_fee, is_paid_online,
        received_month, is_resolved, is_on_time, resolved_month, status_code, due_at, finished_at,
        source_updated_at
    )
    select
        case when counted.dossier_code is null then 'inserted' else 'replaced' end,
        batch.dossier_code,
        batch.load_id,
        counted.receiving_agency_code,
        counted.channel,
        counted.has_fee,
        counted.is_paid_online,
        counted.received_month,
        counted.is_resolved,
        counted.is_on_time,
        counted.resolved_month,
        counted.status_code,
        counted.due_at,
        counted.finished_at,
        counted.source_updated_at
    from {{ ref('stg_dossier__dossiers') }} as batch
    left join {{ this }} as counted on batch.dossier_code = counted.dossier_code
    where batch.load_id > {{ newest_load_id(this) }}
    {%- else %}
    insert into {{ changes }} (change_kind) values ('rebuilt')
    {%- endif %}
{%- endmacro %}


{#- int_dossier_agency_month_counts' pre-hook: no merge of the fact logs a change until the counts commit. -#}
{% macro take_dossier_changes(fact) -%}
    {%- set changes = dossier_changes_relation(fact) -%}
    {{ create_dossier_changes(changes) }};
    lock table {{ changes }} in share row exclusive mode
{%- endmacro %}


{#- Its post-hook: every change in the log is counted now (the lock kept new ones out). -#}
{% macro clear_dossier_changes(fact) -%}
    delete from {{ dossier_changes_relation(fact) }}
{%- endmacro %}
