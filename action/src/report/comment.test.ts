import { describe, expect, it } from "vitest";
import { type CommentsApi, upsertPlanComment } from "./comment.ts";
import { COMMENT_MARKER } from "./render.ts";

/** An in-memory issue thread with GitHub's paging (100 per page). */
function thread(initial: string[]) {
  const comments = initial.map((body, i) => ({ id: i + 1, body }));
  const api: CommentsApi = {
    async listComments({ page, per_page }) {
      return { data: comments.slice((page - 1) * per_page, page * per_page) };
    },
    async createComment({ body }) {
      comments.push({ id: comments.length + 1, body });
    },
    async updateComment({ comment_id, body }) {
      const found = comments.find((c) => c.id === comment_id);
      if (found) found.body = body;
    },
  };
  return { api, comments };
}

const where = { owner: "o", repo: "r", issue_number: 7 };

describe("PR plan comment", () => {
  it("creates one comment with the hidden marker, then updates it in place", async () => {
    const { api, comments } = thread(["looks good", "ship it"]);
    expect(await upsertPlanComment(api, where, "plan v1")).toBe("created");
    expect(comments).toHaveLength(3);
    expect(comments[2]?.body).toBe(`${COMMENT_MARKER}\nplan v1`);
    expect(await upsertPlanComment(api, where, "plan v2")).toBe("updated");
    expect(comments).toHaveLength(3);
    expect(comments[2]?.body).toBe(`${COMMENT_MARKER}\nplan v2`);
  });

  it("finds its comment beyond the first page", async () => {
    const { api, comments } = thread([
      ...Array.from({ length: 150 }, (_, i) => `c${i}`),
      `${COMMENT_MARKER}\nold`,
    ]);
    expect(await upsertPlanComment(api, where, `${COMMENT_MARKER}\nnew`)).toBe("updated");
    expect(comments).toHaveLength(151);
    expect(comments[150]?.body).toBe(`${COMMENT_MARKER}\nnew`);
  });
});
