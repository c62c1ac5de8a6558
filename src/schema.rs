//! The database schema, written by hand for both backends: SQLite's `INTEGER PRIMARY KEY` and
//! PostgreSQL's `BIGSERIAL` both surface here as `BigInt`. Money columns are integer pence.

diesel::table! {
    partnerships (id) {
        id -> BigInt,
        name -> Text,
        area -> Text,
        lead_authority -> Text,
        org_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        external_reference -> Nullable<Text>,
        revision -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        job_title -> Text,
        role -> Text,
        partnership_id -> Nullable<BigInt>,
        active -> Bool,
        password_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        revision -> BigInt,
    }
}

diesel::table! {
    api_clients (id) {
        id -> BigInt,
        client_id -> Text,
        name -> Text,
        role -> Text,
        partnership_id -> Nullable<BigInt>,
        secret_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        public_key -> Nullable<Text>,
        revision -> BigInt,
    }
}

diesel::table! {
    user_identities (id) {
        id -> BigInt,
        user_id -> BigInt,
        issuer -> Text,
        subject -> Text,
        linked_at -> Timestamp,
    }
}

diesel::table! {
    client_assertions (api_client_id, jti) {
        api_client_id -> BigInt,
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        family -> Text,
        user_id -> Nullable<BigInt>,
        api_client_id -> Nullable<BigInt>,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        access_issued_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    priority_sets (id) {
        id -> BigInt,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        revision -> BigInt,
    }
}

diesel::table! {
    priorities (id) {
        id -> BigInt,
        priority_set_id -> BigInt,
        number -> Integer,
        title -> Text,
    }
}

diesel::table! {
    fund_years (id) {
        id -> BigInt,
        label -> Text,
        starts_on -> Date,
        ends_on -> Date,
        plan_due -> Date,
        first_half_return_due -> Date,
        second_half_return_due -> Date,
        final_report_due -> Date,
        priority_set_id -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        amendment_threshold_pence -> Nullable<BigInt>,
        amendment_threshold_percent -> Nullable<Integer>,
        version -> Integer,
        revision -> BigInt,
    }
}

diesel::table! {
    allocations (id) {
        id -> BigInt,
        fund_year_id -> BigInt,
        partnership_id -> BigInt,
        grant_pence -> BigInt,
        carry_forward_pence -> BigInt,
        carry_forward_purpose -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        external_reference -> Nullable<Text>,
        revision -> BigInt,
    }
}

diesel::table! {
    plans (id) {
        id -> BigInt,
        allocation_id -> BigInt,
        status -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        approved_pence -> Nullable<BigInt>,
        approved_at -> Nullable<Timestamp>,
        review_comment -> Text,
        revision -> BigInt,
    }
}

diesel::table! {
    plan_lines (id) {
        id -> BigInt,
        plan_id -> BigInt,
        number -> Integer,
        title -> Text,
        outline -> Text,
        amount_pence -> BigInt,
        provider -> Nullable<Text>,
        total_contract_value_pence -> Nullable<BigInt>,
        outcome_measures -> Text,
        decision -> Nullable<Text>,
        decision_comment -> Text,
    }
}

diesel::table! {
    plan_line_sub_allocations (id) {
        id -> BigInt,
        plan_line_id -> BigInt,
        position -> Integer,
        label -> Text,
        amount_pence -> BigInt,
    }
}

diesel::table! {
    plan_line_priorities (plan_line_id, priority_id) {
        plan_line_id -> BigInt,
        priority_id -> BigInt,
    }
}

diesel::table! {
    plan_line_indicators (id) {
        id -> BigInt,
        plan_line_id -> BigInt,
        number -> Integer,
        name -> Text,
        comparison -> Nullable<Text>,
        target -> Nullable<Text>,
        unit -> Text,
    }
}

diesel::table! {
    half_year_returns (id) {
        id -> BigInt,
        allocation_id -> BigInt,
        half -> Text,
        half_year_end -> Date,
        amount_claimed_pence -> BigInt,
        invoice_reference -> Text,
        status -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        claim_approved_pence -> Nullable<BigInt>,
        claim_approved_on -> Nullable<Date>,
        review_comment -> Text,
        claim_approval_reason -> Text,
        revision -> BigInt,
    }
}

diesel::table! {
    half_year_projects (id) {
        id -> BigInt,
        half_year_return_id -> BigInt,
        position -> Integer,
        plan_line_id -> BigInt,
        provider -> Text,
        provider_status -> Text,
        commissioning_body -> Text,
        total_service_funding_pence -> Nullable<BigInt>,
        intended_outcomes -> Text,
        how_measured -> Text,
        extent_achieved -> Text,
        actions -> Text,
        rag -> Text,
    }
}

diesel::table! {
    half_year_expenditure_items (id) {
        id -> BigInt,
        half_year_project_id -> BigInt,
        position -> Integer,
        description -> Text,
        amount_pence -> BigInt,
    }
}

diesel::table! {
    half_year_indicator_actuals (id) {
        id -> BigInt,
        half_year_project_id -> BigInt,
        plan_line_indicator_id -> BigInt,
        actual -> Text,
    }
}

diesel::table! {
    final_reports (id) {
        id -> BigInt,
        allocation_id -> BigInt,
        unspent_treatment -> Nullable<Text>,
        treatment_notes -> Text,
        status -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        unspent_decision -> Nullable<Text>,
        unspent_decided_pence -> Nullable<BigInt>,
        carried_forward_to -> Nullable<BigInt>,
        review_comment -> Text,
        offset_against -> Nullable<BigInt>,
        revision -> BigInt,
    }
}

diesel::table! {
    final_report_lines (id) {
        id -> BigInt,
        final_report_id -> BigInt,
        position -> Integer,
        plan_line_id -> BigInt,
        actual_spend_pence -> BigInt,
        variance_explanation -> Text,
        outcomes -> Text,
        case_study -> Text,
        case_study_anonymised -> Bool,
    }
}

diesel::table! {
    virements (id) {
        id -> BigInt,
        final_report_id -> BigInt,
        position -> Integer,
        from_plan_line_id -> BigInt,
        to_plan_line_id -> BigInt,
        amount_pence -> BigInt,
        reason -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        partnership_id -> BigInt,
        document_kind -> Text,
        document_id -> BigInt,
        plan_line_id -> Nullable<BigInt>,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    final_report_indicator_actuals (id) {
        id -> BigInt,
        final_report_line_id -> BigInt,
        plan_line_indicator_id -> BigInt,
        actual -> Text,
    }
}

diesel::table! {
    payments (id) {
        id -> BigInt,
        half_year_return_id -> BigInt,
        amount_pence -> BigInt,
        paid_on -> Date,
        remittance_reference -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        updated_at -> Timestamp,
        external_reference -> Nullable<Text>,
        revision -> BigInt,
    }
}

diesel::table! {
    grant_publishing (id) {
        id -> BigInt,
        funder_name -> Text,
        funder_org_id -> Text,
        grant_id_prefix -> Text,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    signatures (id) {
        id -> BigInt,
        document_kind -> Text,
        document_id -> BigInt,
        capacity -> Text,
        signer -> Text,
        printed_name -> Text,
        position -> Text,
        declaration -> Text,
        content_sha256 -> Text,
        signed_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        void_reason -> Nullable<Text>,
        content -> Text,
        version_number -> Nullable<Integer>,
        attestation_key_id -> Nullable<Text>,
        attestation -> Nullable<Text>,
        sign_in -> Nullable<Text>,
    }
}

diesel::table! {
    document_versions (id) {
        id -> BigInt,
        document_kind -> Text,
        document_id -> BigInt,
        number -> Integer,
        reason -> Text,
        content -> Text,
        content_sha256 -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    plan_amendments (id) {
        id -> BigInt,
        plan_id -> BigInt,
        status -> Text,
        reason -> Text,
        proposal -> Text,
        largest_change_pence -> BigInt,
        largest_change_percent -> Text,
        proposed_by -> Text,
        proposed_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_comment -> Text,
    }
}

diesel::table! {
    history (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor -> Text,
        actor_role -> Text,
        partnership_id -> Nullable<BigInt>,
        entity_kind -> Text,
        entity_id -> BigInt,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        changed_fields -> Text,
        details -> Text,
        previous_hash -> Text,
        hash -> Text,
        traceparent -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        principal -> Text,
        idempotency_key -> Text,
        request_sha256 -> Text,
        response_status -> Nullable<Integer>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Binary>,
        created_at -> Timestamp,
        claimed_at -> Nullable<Timestamp>,
        committed_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
    }
}

diesel::table! {
    document_records (document_kind, document_id, number) {
        document_kind -> Text,
        document_id -> BigInt,
        number -> Integer,
        record_sha256 -> Text,
        pdf -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    evidence_files (sha256) {
        sha256 -> Text,
        content -> Binary,
        size_bytes -> BigInt,
        stored_at -> Timestamp,
    }
}

diesel::table! {
    instance_secrets (name) {
        name -> Text,
        fingerprint -> Text,
    }
}

diesel::table! {
    login_failures (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
    }
}

diesel::table! {
    history_checkpoints (id) {
        id -> BigInt,
        entry_id -> BigInt,
        entry_hash -> Text,
        signed_at -> Timestamp,
        key_id -> Text,
        signature -> Text,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> BigInt,
        url -> Text,
        description -> Text,
        event_types -> Text,
        partnership_id -> Nullable<BigInt>,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        after_entry_id -> BigInt,
        revision -> BigInt,
    }
}

diesel::table! {
    webhook_feed (id) {
        id -> Integer,
        last_entry_id -> BigInt,
        last_checkpoint_id -> BigInt,
    }
}

diesel::table! {
    webhook_messages (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        webhook_id -> Text,
        event_type -> Text,
        history_entry_id -> Nullable<BigInt>,
        payload -> Text,
        body -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        traceparent -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        message_id -> BigInt,
        subscription_id -> BigInt,
        attempted_at -> Timestamp,
        duration_ms -> BigInt,
        response_status -> Nullable<Integer>,
        delivered -> Bool,
        error -> Nullable<Text>,
        response_excerpt -> Nullable<Text>,
    }
}

diesel::table! {
    deadline_notices (id) {
        id -> BigInt,
        allocation_id -> BigInt,
        document_kind -> Text,
        half -> Text,
        announced_at -> Timestamp,
    }
}

diesel::table! {
    commissioning_papers (id) {
        id -> BigInt,
        allocation_id -> BigInt,
        title -> Text,
        context -> Text,
        board -> Text,
        meeting_on -> Nullable<Date>,
        decided_on -> Nullable<Date>,
        review_comment -> Text,
        status -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        revision -> BigInt,
    }
}

diesel::table! {
    commissioning_paper_years (paper_id, fund_year_id) {
        paper_id -> BigInt,
        fund_year_id -> BigInt,
    }
}

diesel::table! {
    commissioning_priorities (id) {
        id -> BigInt,
        paper_id -> BigInt,
        number -> Integer,
        title -> Text,
        source -> Text,
    }
}

diesel::table! {
    commissioning_priority_aims (commissioning_priority_id, plan_priority) {
        commissioning_priority_id -> BigInt,
        plan_priority -> Integer,
    }
}

diesel::table! {
    recommendations (id) {
        id -> BigInt,
        paper_id -> BigInt,
        number -> Integer,
        area_need -> Text,
        recommendation -> Text,
        opcc_contribution_state -> Text,
        opcc_contribution_pence -> Nullable<BigInt>,
        total_budget_state -> Text,
        total_budget_pence -> Nullable<BigInt>,
    }
}

diesel::table! {
    recommendation_priorities (recommendation_id, priority_number) {
        recommendation_id -> BigInt,
        priority_number -> Integer,
    }
}

diesel::table! {
    plan_line_recommendations (plan_line_id) {
        plan_line_id -> BigInt,
        recommendation_id -> BigInt,
    }
}

diesel::joinable!(commissioning_papers -> allocations (allocation_id));
diesel::joinable!(commissioning_paper_years -> commissioning_papers (paper_id));
diesel::joinable!(commissioning_paper_years -> fund_years (fund_year_id));
diesel::joinable!(commissioning_priorities -> commissioning_papers (paper_id));
diesel::joinable!(commissioning_priority_aims -> commissioning_priorities (commissioning_priority_id));
diesel::joinable!(recommendations -> commissioning_papers (paper_id));
diesel::joinable!(recommendation_priorities -> recommendations (recommendation_id));
diesel::joinable!(plan_line_recommendations -> plan_lines (plan_line_id));
diesel::joinable!(plan_line_recommendations -> recommendations (recommendation_id));
diesel::joinable!(users -> partnerships (partnership_id));
diesel::joinable!(api_clients -> partnerships (partnership_id));
diesel::joinable!(user_identities -> users (user_id));

diesel::joinable!(priorities -> priority_sets (priority_set_id));
diesel::joinable!(fund_years -> priority_sets (priority_set_id));
diesel::joinable!(allocations -> fund_years (fund_year_id));
diesel::joinable!(allocations -> partnerships (partnership_id));
diesel::joinable!(plans -> allocations (allocation_id));
diesel::joinable!(plan_lines -> plans (plan_id));
diesel::joinable!(plan_line_sub_allocations -> plan_lines (plan_line_id));
diesel::joinable!(plan_line_priorities -> plan_lines (plan_line_id));
diesel::joinable!(plan_line_priorities -> priorities (priority_id));
diesel::joinable!(plan_line_indicators -> plan_lines (plan_line_id));
diesel::joinable!(half_year_returns -> allocations (allocation_id));
diesel::joinable!(half_year_projects -> half_year_returns (half_year_return_id));
diesel::joinable!(half_year_projects -> plan_lines (plan_line_id));
diesel::joinable!(half_year_expenditure_items -> half_year_projects (half_year_project_id));
diesel::joinable!(half_year_indicator_actuals -> half_year_projects (half_year_project_id));
diesel::joinable!(half_year_indicator_actuals -> plan_line_indicators (plan_line_indicator_id));
diesel::joinable!(final_reports -> allocations (allocation_id));
diesel::joinable!(final_report_lines -> final_reports (final_report_id));
diesel::joinable!(final_report_lines -> plan_lines (plan_line_id));
diesel::joinable!(virements -> final_reports (final_report_id));
diesel::joinable!(attachments -> partnerships (partnership_id));
diesel::joinable!(attachments -> plan_lines (plan_line_id));
diesel::joinable!(plan_amendments -> plans (plan_id));
diesel::joinable!(final_report_indicator_actuals -> final_report_lines (final_report_line_id));
diesel::joinable!(final_report_indicator_actuals -> plan_line_indicators (plan_line_indicator_id));
diesel::joinable!(payments -> half_year_returns (half_year_return_id));
diesel::joinable!(webhook_messages -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_attempts -> webhook_messages (message_id));

diesel::allow_tables_to_appear_in_same_query!(
    partnerships,
    user_identities,
    client_assertions,
    history_checkpoints,
    login_failures,
    evidence_files,
    webhook_subscriptions,
    webhook_feed,
    webhook_messages,
    webhook_attempts,
    deadline_notices,
    users,
    api_clients,
    refresh_tokens,
    priority_sets,
    priorities,
    fund_years,
    allocations,
    plans,
    plan_lines,
    plan_line_sub_allocations,
    plan_line_priorities,
    plan_line_indicators,
    half_year_returns,
    half_year_projects,
    half_year_expenditure_items,
    half_year_indicator_actuals,
    final_reports,
    final_report_lines,
    virements,
    final_report_indicator_actuals,
    payments,
    grant_publishing,
    attachments,
    signatures,
    document_versions,
    plan_amendments,
    history,
    idempotency_keys,
    commissioning_papers,
    commissioning_paper_years,
    commissioning_priorities,
    commissioning_priority_aims,
    recommendations,
    recommendation_priorities,
    plan_line_recommendations,
);
