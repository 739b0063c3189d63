// Notification settings (/settings/notifications): what ends of a job to hear about, by email
// (the account's verified address) and/or a signed webhook; the signing secret and a test send.
import { useQuery } from "@tanstack/react-query";
import { useApi } from "../auth/AuthContext";
import type { ApiClient } from "./client";

export const NOTIFICATION_EVENTS = ["COMPLETED", "FAILED", "BUDGET_EXCEEDED", "CANCELLED"] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const EVENT_LABELS: Record<NotificationEvent, string> = {
  COMPLETED: "Completed",
  FAILED: "Failed",
  BUDGET_EXCEEDED: "Budget exceeded",
  CANCELLED: "Cancelled",
};

/** The header every webhook delivery is signed in (see the README's "Verifying a webhook"). */
export const SIGNATURE_HEADER = "X-Plot-Palette-Signature";
export const EVENT_ID_HEADER = "X-Plot-Palette-Event-Id";

export interface NotificationSettingsRequest {
  email: boolean;
  webhook_url: string | null;
  events: NotificationEvent[];
}

export interface NotificationSettings {
  email: boolean;
  webhook_url: string | null;
  events: NotificationEvent[];
  has_webhook_secret: boolean;
  updated_at: string | null;
  /** Only right after the secret was created (first save) or rotated: shown once. */
  webhook_secret?: string | null;
}

export interface WebhookDelivery {
  delivered: boolean;
  status: number | null;
  attempts: number;
  error: string | null;
}

export interface EmailDelivery {
  delivered: boolean;
  error: string | null;
}

export interface NotificationTestResult {
  webhook: WebhookDelivery | null;
  email: EmailDelivery | null;
}

export const notificationKeys = { settings: ["notification-settings"] as const };

export const notificationsApi = {
  get: (api: ApiClient) => api.request<NotificationSettings>("GET", "/settings/notifications"),
  save: (api: ApiClient, body: NotificationSettingsRequest) =>
    api.request<NotificationSettings>("PUT", "/settings/notifications", body),
  rotateSecret: (api: ApiClient) =>
    api.request<NotificationSettings>("POST", "/settings/notifications/rotate-secret"),
  sendTest: (api: ApiClient) => api.request<NotificationTestResult>("POST", "/settings/notifications/test"),
};

export function useNotificationSettings() {
  const api = useApi();
  return useQuery({ queryKey: notificationKeys.settings, queryFn: () => notificationsApi.get(api) });
}

/**
 * Which field a refusal belongs to: the API prefixes a field's problem with its name
 * (`webhook_url: the webhook host … resolves to 127.0.0.1 …`). Returns the field and the rest.
 */
export function fieldOfError(message: string): { field: "webhook_url" | "events" | null; text: string } {
  const match = /^(webhook_url|events)(?:\.\d+)?: (.*)$/s.exec(message);
  if (!match) return { field: null, text: message };
  return { field: match[1] as "webhook_url" | "events", text: match[2] as string };
}
