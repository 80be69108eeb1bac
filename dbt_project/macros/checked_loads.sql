{#- Tests on large relations check each load's rows once, not every row on every build. A test opts in with
    `config: {where: "load_id > __checked_through__"}` (`_load_id` on a raw table): it then checks only the
    rows of loads newer than the last load it passed on. Two small tables keep the marks:
    - dbt_built_loads, one row per relation: the newest load it holds, written by the model's post-hook
      record_built_loads() right after it is built (a staging view records its raw table too, which it selects
      from one to one);
    - dbt_checked_loads, one row per test: the newest load whose rows it passed on, written at the end of a
      run (on-run-end) for each opted-in test that passed, from its relation's mark in dbt_built_loads. That
      mark was taken before the test ran, so the test saw at least those rows (load ids grow with each load of
      a table). A failing or skipped test keeps its old mark: the next build checks the same rows again, and
      newer ones. Every row is checked again: on --full-refresh; with --vars '{check_every_row: true}'; by a
      new test or one whose arguments changed (a new unique_id); by every test of a table rebuilt whole (a new
      table) or of a model whose SQL changed (its checksum). What a scoped test cannot see: a `unique` test
      sees duplicates among the new rows only (a merge on the key and a unique index keep the facts unique;
      the reconciliation tests count raw against the facts), and a `relationships` test does not re-check old
      rows against a parent that shrank. -#}

{% macro checked_loads_relations() -%}
    {%- set schema = target.schema -%}
    {{ return({'built': schema ~ '.dbt_built_loads', 'checked': schema ~ '.dbt_checked_loads'}) }}
{%- endmacro %}


{#- on-run-start: the two tables, so that a `dbt test` on a new warehouse finds them. -#}
{% macro create_checked_loads_tables() -%}
    {%- set tables = checked_loads_relations() -%}
    create schema if not exists {{ target.schema }};
    create table if not exists {{ tables.built }} (
        relation_name text primary key,
        relation_oid oid,
        model_checksum text not null,
        built_through_load_id bigint,
        recorded_at timestamptz not null
    );
    comment on table {{ tables.built }} is
        'One row per relation whose tests check only new loads: the newest load it holds '
        '(macros/checked_loads.sql).';
    create table if not exists {{ tables.checked }} (
        test_id text primary key,
        relation_name text not null,
        checked_through_load_id bigint not null,
        checked_at timestamptz not null
    );
    comment on table {{ tables.checked }} is
        'One row per dbt test that checks only new loads: the newest load whose rows it passed on '
        '(macros/checked_loads.sql).'
{%- endmacro %}


{#- A model's post-hook: the newest load the relation holds now. A table rebuilt whole (a new relation) or a
    model whose SQL changed forgets what its tests had passed on. `also`: raw relations the model selects one
    to one, whose own (source) tests use the same mark. `ingest_entity` (source, entity), for a view over a
    raw table: the newest load ingest.load_log records as succeeded for it, instead of a pass over the raw
    table (which has no index on _load_id). A load's rows and its log row commit together, so the mark never
    runs ahead of the rows; rows written to raw some other way stay above it and are checked again until a
    load passes them. -#}
{% macro record_built_loads(load_id_column='load_id', also=[], ingest_entity=none) -%}
    {%- set tables = checked_loads_relations() -%}
    {%- set load_log = ingest_entity and adapter.get_relation(this.database, 'ingest', 'load_log') -%}
    {%- set name = this.schema ~ '.' ~ this.identifier -%}
    {%- set is_view = model.config.materialized == 'view' -%}
    {%- set oid = "'" ~ this.include(database=false) ~ "'::regclass::oid" -%}
    {%- set checksum = model.checksum.checksum -%}
    delete from {{ tables.checked }} as checked
    where checked.relation_name = '{{ name }}'
        and not exists (
            select from {{ tables.built }} as built
            where built.relation_name = checked.relation_name
                and built.model_checksum = '{{ checksum }}'
                {%- if not is_view %}
                and built.relation_oid = {{ oid }}
                {%- endif %}
        );
    insert into {{ tables.built }} (
        relation_name, relation_oid, model_checksum, built_through_load_id, recorded_at
    )
    select relations.relation_name, relations.relation_oid, relations.model_checksum, newest.load_id, now()
    {%- if load_log %}
    from (
        select max(load_id) as load_id
        from {{ load_log }}
        where source = '{{ ingest_entity[0] }}' and entity = '{{ ingest_entity[1] }}' and status = 'succeeded'
    ) as newest
    {%- else %}
    from (select max({{ load_id_column }}) as load_id from {{ this }}) as newest
    {%- endif %}
    cross join (values
        ('{{ name }}', {{ 'null::oid' if is_view else oid }}, '{{ checksum }}')
        {%- for relation in also %},
        ('{{ relation.schema }}.{{ relation.identifier }}', null::oid, '')
        {%- endfor %}
    ) as relations (relation_name, relation_oid, model_checksum)
    on conflict (relation_name) do update set
        relation_oid = excluded.relation_oid,
        model_checksum = excluded.model_checksum,
        built_through_load_id = excluded.built_through_load_id,
        recorded_at = excluded.recorded_at
{%- endmacro %}


{#- The relation a test checks, `schema.identifier`: the model it is attached to, or the source it tests. -#}
{% macro checked_relation_name(test_node) -%}
    {%- if test_node.attached_node and test_node.attached_node in graph.nodes -%}
        {%- set tested = graph.nodes[test_node.attached_node] -%}
        {{- return(tested.schema ~ '.' ~ tested.alias) -}}
    {%- endif -%}
    {%- for uid in test_node.depends_on.nodes if uid in graph.sources -%}
        {{- return(graph.sources[uid].schema ~ '.' ~ graph.sources[uid].identifier) -}}
    {%- endfor -%}
    {{- return(none) -}}
{%- endmacro %}


{#- on-run-end: each opted-in test that passed has checked its relation up to the relation's mark. -#}
{% macro record_checked_loads(results) -%}
    {%- set tables = checked_loads_relations() -%}
    {%- set passed = [] -%}
    {%- for result in results
            if result.node.resource_type == 'test' and result.status == 'pass'
            and '__checked_through__' in (result.node.config.where or '') -%}
        {%- set relation_name = checked_relation_name(result.node) -%}
        {%- if relation_name -%}
            {%- do passed.append("('" ~ result.node.unique_id ~ "', '" ~ relation_name ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if passed -%}
    insert into {{ tables.checked }} (test_id, relation_name, checked_through_load_id, checked_at)
    select passed.test_id, passed.relation_name, built.built_through_load_id, now()
    from (values {{ passed | join(', ') }}) as passed (test_id, relation_name)
    inner join {{ tables.built }} as built on passed.relation_name = built.relation_name
    where built.built_through_load_id is not null
    on conflict (test_id) do update set
        relation_name = excluded.relation_name,
        checked_through_load_id = excluded.checked_through_load_id,
        checked_at = excluded.checked_at
    {%- else -%}
    select 'no test checks new loads only' as nothing_to_record
    {%- endif -%}
{%- endmacro %}


{#- dbt's own get_where_subquery, with `__checked_through__` replaced by the last load this test passed on (0:
    check every row). The mark is read here, as a literal, so that the planner can use an index on load_id.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__checked_through__' in where -%}
        {%- set checked_through = 0 -%}
        {%- if execute and not flags.FULL_REFRESH and not var('check_every_row', false) -%}
            {%- set tables = checked_loads_relations() -%}
            {%- set mark -%}
                select coalesce(max(checked_through_load_id), 0)
                from {{ tables.checked }}
                where test_id = '{{ model.unique_id }}'
                    and relation_name = '{{ relation.schema }}.{{ relation.identifier }}'
            {%- endset -%}
            {%- set checked_through = run_query(mark).columns[0].values()[0] -%}
        {%- endif -%}
        {%- set where = where | replace('__checked_through__', checked_through | string) -%}
    {%- endif -%}
    {%- if where -%}
        {{- return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -}}
    {%- else -%}
        {{- return(relation) -}}
    {%- endif -%}
{%- endmacro %}
