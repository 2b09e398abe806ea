import { randomUUID } from 'node:crypto';
import { NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getRepositoryToken } from '@nestjs/typeorm';
import { PluginSettings } from 'appnest';
import { Note } from './note.entity.js';
import { NotesService } from './notes.service.js';

/** Stands in for the TypeORM repository: the rows live in an array; find honours `take`. */
class InMemoryNotes {
  readonly rows: Note[] = [];

  create(fields: Partial<Note>): Note {
    return Object.assign(new Note(), fields);
  }

  async save(note: Note): Promise<Note> {
    note.id ??= randomUUID();
    note.createdAt ??= new Date();
    this.rows.push(note);
    return note;
  }

  async find(options: { take?: number } = {}): Promise<Note[]> {
    return this.rows.slice(0, options.take);
  }

  async delete(where: { id: string }): Promise<{ affected: number }> {
    const index = this.rows.findIndex((note) => note.id === where.id);
    if (index >= 0) this.rows.splice(index, 1);
    return { affected: index >= 0 ? 1 : 0 };
  }
}

describe('NotesService', () => {
  let service: NotesService;
  let notes: InMemoryNotes;

  beforeEach(async () => {
    notes = new InMemoryNotes();
    const moduleRef = await Test.createTestingModule({
      providers: [NotesService, { provide: getRepositoryToken(Note), useValue: notes }, { provide: PluginSettings, useValue: new PluginSettings({ readSettings: () => ({ maxNotes: 2 }) }, 'notes') }],
    }).compile();
    service = moduleRef.get(NotesService);
  });

  it('creates a note with an empty body, unpinned, unless told otherwise', async () => {
    expect(await service.create({ title: 'Plain' })).toMatchObject({ title: 'Plain', body: '', pinned: false });
    expect(await service.create({ title: 'Pinned', body: 'Text', pinned: true })).toMatchObject({ body: 'Text', pinned: true });
  });

  it('lists at most maxNotes notes', async () => {
    for (const title of ['One', 'Two', 'Three']) await service.create({ title });
    expect(await service.list()).toHaveLength(2);
  });

  it('refuses to remove a note that does not exist', async () => {
    const kept = await service.create({ title: 'Kept' });
    await expect(service.remove(randomUUID())).rejects.toBeInstanceOf(NotFoundException);
    await service.remove(kept.id);
    expect(notes.rows).toEqual([]);
  });
});
