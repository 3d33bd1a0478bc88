// Bolt on stagebot's one HTTP server. Bolt's HTTPReceiver is never started (it would open a server
// of its own); its `requestListener` answers the requests our server routes to /slack/events: it
// buffers the body, verifies the signature (401 for unsigned, badly signed or stale requests,
// before any listener runs), answers url_verification and ssl_check, and acks through our response.
import type { HTTPReceiver } from '@slack/bolt';
import type { Logger } from '../../observability/logger.ts';
import { sendJson, type Handler } from '../../web/routes.ts';

/** Slack's replay window: a request whose timestamp is further than this from now is refused. */
export const REPLAY_WINDOW_MS = 5 * 60_000;

export function httpHandler(receiver: HTTPReceiver, logger: Logger, now: () => number = Date.now): Handler {
  return (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' });
      res.end();
      return;
    }
    // Bolt refuses timestamps more than 5 minutes old; one from the future would stay replayable
    // for as long as it is ahead, so the window is made two-sided here.
    const ts = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(ts) && ts * 1000 - now() > REPLAY_WINDOW_MS) {
      logger.warn({ ts }, 'refused a Slack request timestamped in the future');
      req.resume();
      res.writeHead(401);
      res.end();
      return;
    }
    try {
      receiver.requestListener(req, res);
    } catch (err) {
      logger.error({ err }, 'Bolt could not take a request');
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal error' });
    }
  };
}

/** /slack/events when the installation receives Slack over Socket Mode: nothing is served here. */
export function socketModeHandler(): Handler {
  return (req, res) => {
    req.resume();
    sendJson(res, 410, { ok: false, error: 'this stagebot receives Slack over Socket Mode (SLACK_SOCKET_MODE); /slack/events is not used' });
  };
}
