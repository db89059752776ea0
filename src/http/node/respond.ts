import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ShedError } from '../../degrade/shed/error.js'
import {
  BASE_HEADERS,
  FAILURE,
  isReadMethod,
  METHOD_NOT_ALLOWED,
  refusal,
  type Answer,
  type HeaderRecord,
} from '../answers.js'

/** Writes a complete answer; HEAD gets the headers only. */
export function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: HeaderRecord = {},
): void {
  res.writeHead(status, {
    ...BASE_HEADERS,
    ...headers,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}

export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: HeaderRecord = {},
): void {
  send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers)
}

export function rejectMethod(req: IncomingMessage, res: ServerResponse): boolean {
  if (isReadMethod(req.method)) return false
  sendJson(req, res, METHOD_NOT_ALLOWED.status, METHOD_NOT_ALLOWED.body, METHOD_NOT_ALLOWED.headers)
  return true
}

/** A node:http handler that also fits Connect/Express (`next` is accepted and never needed). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void

/** Writes one of the guards' answers (http/answers.ts) on a response nothing was written to yet. */
function write(res: ServerResponse, answer: Answer): void {
  const body = answer.body ?? ''
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) })
  res.end(body)
}

/** Answers a refused request (Connect and Express use the same response). */
export function writeRefusal(error: ShedError, res: ServerResponse): void {
  // A refusal after waiting may find that something else already answered; never write twice.
  if (res.headersSent || res.writableEnded) return
  write(res, refusal(error))
}

/** The request's handler threw after a wait (or its `bytes` failed), with nobody up the stack to answer: answer here. */
export function answerFailure(res: ServerResponse): void {
  if (!res.headersSent) write(res, FAILURE)
  // Half an answer is already out: ending the connection is the only honest end.
  else if (!res.writableEnded) res.destroy()
}
