/** A note as GET /api/plugins/notes/notes returns it. */
export interface Note {
  id: string;
  title: string;
  body: string;
  pinned?: boolean;
  createdAt: string;
}
