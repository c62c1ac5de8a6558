//! The database schema, written by hand for both backends: SQLite's `INTEGER PRIMARY KEY` and
//! PostgreSQL's `BIGSERIAL` both surface here as `BigInt`. Money columns are integer pence.

diesel::table! {
    partnerships (id) {
        id -> BigInt,
        name -> Text,
        area -> Text,
        lead_authority -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
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
    }
}

diesel::joinable!(users -> partnerships (partnership_id));
diesel::joinable!(api_clients -> partnerships (partnership_id));

diesel::allow_tables_to_appear_in_same_query!(partnerships, users, api_clients, refresh_tokens);
