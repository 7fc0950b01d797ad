// The plan as one PR comment, updated in place on every push: found by a hidden marker.
import { COMMENT_MARKER } from "./render.ts";

/** The slice of Octokit's REST API the upsert uses (issues comments). */
export interface CommentsApi {
  listComments(params: {
    owner: string;
    repo: string;
    issue_number: number;
    per_page: number;
    page: number;
  }): Promise<{
    data: { id: number; body?: string | null }[];
  }>;
  createComment(params: {
    owner: string;
    repo: string;
    issue_number: number;
    body: string;
  }): Promise<unknown>;
  updateComment(params: { owner: string; repo: string; comment_id: number; body: string }): Promise<unknown>;
}

export async function upsertPlanComment(
  issues: CommentsApi,
  where: { owner: string; repo: string; issue_number: number },
  body: string,
): Promise<"created" | "updated"> {
  const marked = body.includes(COMMENT_MARKER) ? body : `${COMMENT_MARKER}\n${body}`;
  for (let page = 1; page <= 20; page++) {
    const { data } = await issues.listComments({ ...where, per_page: 100, page });
    const existing = data.find((comment) => comment.body?.includes(COMMENT_MARKER));
    if (existing) {
      await issues.updateComment({
        owner: where.owner,
        repo: where.repo,
        comment_id: existing.id,
        body: marked,
      });
      return "updated";
    }
    if (data.length < 100) break;
  }
  await issues.createComment({ ...where, body: marked });
  return "created";
}
